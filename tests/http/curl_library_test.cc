// SPDX-License-Identifier: Apache-2.0
// libcurl loaded at run time: load errors, and that only the first request maps libcurl
// (checked in a fresh process, tests/http/curl_lazy_probe.cc).
#include "http/internal/curl_library.h"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "common/files.h"
#include "common/subprocess.h"
#include "http/peer_process.h"
#include "support/expect.h"

extern char** environ;

namespace cocoon::http::internal {
namespace {

using cocoon::test::expectError;

// The path of a shared object that is not libcurl (zlib, which every system has).
std::string notCurlLibraryPath() {
  void* handle = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return {};
  }
  link_map* map = nullptr;
  std::string path;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr) {
    path = map->l_name;
  }
  dlclose(handle);
  return path;
}

// A loopback URL nothing listens on.
std::string refusedUrl() {
  return "http://127.0.0.1:" + std::to_string(cocoon::test::closedLoopbackPort()) + "/v2/";
}

// Runs the probe against `url` with our environment plus `extra_env`; returns its stdout.
std::string runProbe(const std::string& url, const std::vector<std::string>& extra_env = {}) {
  SubprocessOptions options;
  options.argv = {COCOON_CURL_LAZY_PROBE, url};
  std::vector<std::string> env = extra_env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view var(*entry);
    const std::string_view key = var.substr(0, var.find('=') + 1);
    if (std::none_of(extra_env.begin(), extra_env.end(),
                     [key](const std::string& e) { return e.starts_with(key); })) {
      env.emplace_back(var);
    }
  }
  options.env = env;
  options.timeout = std::chrono::seconds(60);
  auto ran = runSubprocess(options);
  EXPECT_TRUE(ran) << ran.error().toString();
  if (!ran) {
    return {};
  }
  EXPECT_EQ(ran->exit_code, 0) << ran->stderr_data;
  return ran->stdout_data;
}

TEST(CurlLibrary, LoadsOnceAndReturnsTheSameTable) {
  auto first = loadCurlLibrary();
  ASSERT_TRUE(first) << first.error().toString();
  auto second = loadCurlLibrary();
  ASSERT_TRUE(second) << second.error().toString();
  EXPECT_EQ(*first, *second);
  EXPECT_NE((*first)->easy_setopt, nullptr);
  EXPECT_STREQ((*first)->easy_strerror(CURLE_COULDNT_CONNECT), "Couldn't connect to server");
}

TEST(CurlLibrary, MissingLibraryIsUnavailableNamingIt) {
  auto lib = openCurlLibrary("libcocoon-no-such-curl.so.9");
  expectError(lib, Code::kUnavailable, "HTTP client: cannot load libcocoon-no-such-curl.so.9: ");
  EXPECT_NE(lib.error().message.find("cannot open shared object file"), std::string::npos)
      << lib.error().message;
}

TEST(CurlLibrary, LibraryWithoutCurlFunctionsIsUnavailableNamingTheFunction) {
  const std::string zlib = notCurlLibraryPath();
  ASSERT_FALSE(zlib.empty());
  auto lib = openCurlLibrary(zlib.c_str());
  expectError(lib, Code::kUnavailable,
              "HTTP client: " + zlib + " has no function curl_global_init: ");
}

TEST(CurlLazyLoad, OnlyTheFirstRequestMapsLibcurl) {
  const std::string url = refusedUrl();
  const std::string out = runProbe(url);
  // The request itself fails (connection refused), after libcurl was loaded to try it.
  const std::string request_line = "request UNAVAILABLE: GET " + url + " failed: ";
  const std::size_t at = out.find(request_line);
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_EQ(out.substr(0, at), "start 0\nmade 0\n");
  EXPECT_TRUE(out.ends_with("Couldn't connect to server\nsent 1\n")) << out;
}

TEST(CurlLazyLoad, ClientReportsAnUnloadableLibcurlFromItsFirstRequest) {
  // libcurl.so.4 found first on LD_LIBRARY_PATH is zlib: it loads, but has no curl functions.
  auto dir = TempDir::create("curl-lazy");
  ASSERT_TRUE(dir) << dir.error().toString();
  const std::string zlib = notCurlLibraryPath();
  ASSERT_FALSE(zlib.empty());
  std::error_code ec;
  std::filesystem::copy_file(zlib, dir->path() / "libcurl.so.4", ec);
  ASSERT_FALSE(ec) << ec.message();
  const std::string out = runProbe(refusedUrl(), {"LD_LIBRARY_PATH=" + dir->path().string()});
  EXPECT_EQ(out,
            "start 0\nmade 0\nrequest UNAVAILABLE: HTTP client: libcurl.so.4 has no function "
            "curl_global_init: " +
                (dir->path() / "libcurl.so.4").string() +
                ": undefined symbol: curl_global_init\nsent 0\n");
}

}  // namespace
}  // namespace cocoon::http::internal
