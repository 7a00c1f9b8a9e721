// SPDX-License-Identifier: Apache-2.0
// Examples follow containers-registries.conf(5) (containers/image docs), written out here.
#include "image/oci/registries_conf.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::image::oci {
namespace {

using test::expectError;

const std::string kDigest = "sha256:" + std::string(64, 'e');

RegistriesConf conf(std::string_view text) {
  auto c = parseRegistriesConf(text, "test.conf");
  EXPECT_TRUE(c) << c.error().toString();
  return c ? *c : RegistriesConf{};
}

Reference ref(std::string_view text) {
  auto r = parseReference(text);
  EXPECT_TRUE(r) << r.error().toString();
  return r ? *r : Reference{};
}

std::vector<Endpoint> endpoints(const RegistriesConf& c, std::string_view reference) {
  auto e = resolve(c, ref(reference));
  EXPECT_TRUE(e) << e.error().toString();
  return e ? *e : std::vector<Endpoint>{};
}

constexpr std::string_view kExample = R"(
unqualified-search-registries = ["registry.fedoraproject.org", "quay.io", "docker.io"]
short-name-mode = "enforcing"

[[registry]]
prefix = "example.com/foo"
location = "internal-registry-for-example.net/bar"

[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "mirror.gcr.io"
[[registry.mirror]]
location = "127.0.0.1:5000/hub"
insecure = true
pull-from-mirror = "digest-only"

[[registry]]
prefix = "*.corp.example"
insecure = true

[[registry]]
location = "evil.example/blocked"
blocked = true

[[registry]]
location = "localhost:5000"
insecure = true

[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
)";

TEST(RegistriesConf, ParsesVersion2) {
  const RegistriesConf c = conf(kExample);
  ASSERT_TRUE(c.unqualified_search_registries);
  EXPECT_EQ(c.unqualified_search_registries->size(), 3U);
  EXPECT_EQ(c.short_name_mode, ShortNameMode::kEnforcing);
  ASSERT_EQ(c.registries.size(), 5U);
  EXPECT_EQ(c.registries[1].prefix, "docker.io");
  EXPECT_EQ(c.registries[1].mirrors.at(1).pull_from_mirror, PullFromMirror::kDigestOnly);
  EXPECT_EQ(c.registries[2].location, "");
  EXPECT_EQ(c.aliases.at("fedora"), "registry.fedoraproject.org/fedora");
}

TEST(RegistriesConf, RewritesPrefixToLocation) {
  const RegistriesConf c = conf(kExample);
  EXPECT_EQ(
      endpoints(c, "example.com/foo/myimage:latest"),
      (std::vector<Endpoint>{{"internal-registry-for-example.net", "bar/myimage", false, false}}));
  // "example.com/foobar" does not continue the prefix with '/': no rewrite.
  EXPECT_EQ(endpoints(c, "example.com/foobar"),
            (std::vector<Endpoint>{{"example.com", "foobar", false, false}}));
}

TEST(RegistriesConf, ListsMirrorsFirstAndMapsDockerHub) {
  const RegistriesConf c = conf(kExample);
  EXPECT_EQ(endpoints(c, "busybox"),
            (std::vector<Endpoint>{{"mirror.gcr.io", "library/busybox", false, true},
                                   {"registry-1.docker.io", "library/busybox", false, false}}));
  EXPECT_EQ(endpoints(c, "busybox@" + kDigest),
            (std::vector<Endpoint>{{"mirror.gcr.io", "library/busybox", false, true},
                                   {"127.0.0.1:5000", "hub/library/busybox", true, true},
                                   {"registry-1.docker.io", "library/busybox", false, false}}));
}

TEST(RegistriesConf, AppliesWildcardsAndInsecure) {
  const RegistriesConf c = conf(kExample);
  EXPECT_EQ(endpoints(c, "a.b.corp.example:8443/x/y"),
            (std::vector<Endpoint>{{"a.b.corp.example:8443", "x/y", true, false}}));
  EXPECT_EQ(endpoints(c, "corp.example/x"),
            (std::vector<Endpoint>{{"corp.example", "x", false, false}}));
  EXPECT_EQ(endpoints(c, "localhost:5000/x"),
            (std::vector<Endpoint>{{"localhost:5000", "x", true, false}}));
  EXPECT_EQ(endpoints(RegistriesConf{}, "quay.io/a/b"),
            (std::vector<Endpoint>{{"quay.io", "a/b", false, false}}));
}

TEST(RegistriesConf, RefusesBlockedRegistries) {
  const RegistriesConf c = conf(kExample);
  expectError(
      resolve(c, ref("evil.example/blocked/x")), Code::kPermissionDenied,
      "evil.example/blocked/x is blocked by registries.conf prefix \"evil.example/blocked\"");
  EXPECT_EQ(endpoints(c, "evil.example/other").size(), 1U);
}

TEST(RegistriesConf, LongestPrefixWins) {
  const RegistriesConf c = conf(R"(
[[registry]]
location = "q.io"
blocked = true
[[registry]]
prefix = "q.io/ok"
location = "q.io/ok"
)");
  EXPECT_EQ(endpoints(c, "q.io/ok/x").at(0).repository, "ok/x");
  expectError(resolve(c, ref("q.io/other")), Code::kPermissionDenied, "blocked");
}

TEST(RegistriesConf, ExpandsShortNames) {
  const RegistriesConf c = conf(kExample);
  auto names = shortNameCandidates(c, ref("busybox:1"));
  ASSERT_TRUE(names) << names.error().toString();
  ASSERT_EQ(names->size(), 3U);
  EXPECT_EQ((*names)[0].toString(), "registry.fedoraproject.org/busybox:1");
  EXPECT_EQ((*names)[1].toString(), "quay.io/busybox:1");
  EXPECT_EQ((*names)[2].toString(), "docker.io/library/busybox:1");
  names = shortNameCandidates(c, ref("fedora:39"));
  ASSERT_TRUE(names);
  ASSERT_EQ(names->size(), 1U);
  EXPECT_EQ(names->at(0).toString(), "registry.fedoraproject.org/fedora:39");
  names = shortNameCandidates(c, ref("quay.io/x"));
  ASSERT_TRUE(names);
  EXPECT_EQ(names->at(0).toString(), "quay.io/x:latest");
  names = shortNameCandidates(RegistriesConf{}, ref("busybox"));
  ASSERT_TRUE(names);
  EXPECT_EQ(names->at(0).toString(), "docker.io/library/busybox:latest");
  expectError(shortNameCandidates(conf("unqualified-search-registries = []"), ref("busybox")),
              Code::kFailedPrecondition, "unqualified-search-registries is empty");
}

TEST(RegistriesConf, RejectsMalformedFiles) {
  struct Bad {
    const char* text;
    const char* message;
  };
  const Bad cases[] = {
      {"[registries.search]\nregistries = ['docker.io']", "version 1"},
      {"unknown = 1", "unknown"},
      {"unqualified-search-registries = 'docker.io'", "expected array"},
      {"unqualified-search-registries = ['bad host']", "not a valid host name"},
      {"short-name-mode = 'sometimes'", "short-name-mode \"sometimes\""},
      {"registry = 1", "registry must be an array of tables"},
      {"[[registry]]\ninsecure = true", "neither prefix nor location"},
      {"[[registry]]\nlocation = 'https://q.io'", "URI schemes are not supported"},
      {"[[registry]]\nlocation = 'q.io/UPPER'", "must be lowercase"},
      {"[[registry]]\nprefix = 'q.*.io'", "only allowed as a leading"},
      {"[[registry]]\nprefix = '*.q.io/x'", "wildcard prefix must be"},
      {"[[registry]]\nlocation = 'q.io'\nblocked = 'yes'", "expected boolean"},
      {"[[registry]]\nlocation = 'q.io'\nmirrors = []", "unknown"},
      {"[[registry]]\nlocation = 'q.io'\n[[registry]]\nprefix = 'q.io/'", "defined twice"},
      {"[[registry]]\nlocation = 'q.io'\n[[registry.mirror]]\ninsecure = true", "no location"},
      {"[[registry]]\nlocation = 'q.io'\n[[registry.mirror]]\nlocation = 'm.io'\n"
       "pull-from-mirror = 'never'",
       "pull-from-mirror \"never\""},
      {"[[registry]]\nlocation = 'q.io'\nmirror-by-digest-only = true\n[[registry.mirror]]\n"
       "location = 'm.io'\npull-from-mirror = 'all'",
       "not allowed with the registry's mirror-by-digest-only"},
      {"unqualified-search-registries = [", "test.conf:1:"},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.text);
    expectError(parseRegistriesConf(bad.text, "test.conf"), Code::kInvalidArgument, bad.message);
  }
}

TEST(RegistriesConf, ErrorsNameTheLocation) {
  auto c = parseRegistriesConf("\n\n[[registry]]\nlocation = 'http://q.io'", "/etc/x.conf");
  expectError(c, Code::kInvalidArgument, "/etc/x.conf:3:1: location \"http://q.io\"");
}

TEST(RegistriesConf, PathComesFromTheEnvironment) {
  auto env = [](std::string value) {
    return [value](std::string_view name) -> std::optional<std::string> {
      if (name == "CONTAINERS_REGISTRIES_CONF") {
        return value;
      }
      return std::nullopt;
    };
  };
  EXPECT_EQ(registriesConfPath(env("/tmp/r.conf")), "/tmp/r.conf");
  EXPECT_EQ(registriesConfPath(env("")), "/etc/containers/registries.conf");
  EXPECT_EQ(registriesConfPath([](std::string_view) { return std::nullopt; }),
            "/etc/containers/registries.conf");
}

TEST(RegistriesConf, LoadsFileAndDropIns) {
  auto dir = TempDir::create("oci-regconf");
  ASSERT_TRUE(dir);
  const auto path = dir->path() / "registries.conf";
  // A missing file is an empty configuration.
  auto empty = loadRegistriesConf(path);
  ASSERT_TRUE(empty) << empty.error().toString();
  EXPECT_FALSE(empty->unqualified_search_registries);

  ASSERT_TRUE(writeFileAtomic(path, asBytes(kExample)));
  std::filesystem::create_directory(path.string() + ".d");
  ASSERT_TRUE(writeFileAtomic(path.string() + ".d/10-hub.conf",
                              asBytes("unqualified-search-registries = ['quay.io']\n"
                                      "[[registry]]\nlocation = 'docker.io'\nblocked = true\n"
                                      "[aliases]\nfedora = ''\n")));
  ASSERT_TRUE(writeFileAtomic(path.string() + ".d/20-more.conf",
                              asBytes("[[registry]]\nlocation = 'new.io'\ninsecure = true\n")));
  ASSERT_TRUE(writeFileAtomic(path.string() + ".d/ignored.txt", asBytes("not toml [")));
  auto c = loadRegistriesConf(path);
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(*c->unqualified_search_registries, std::vector<std::string>{"quay.io"});
  EXPECT_EQ(c->short_name_mode, ShortNameMode::kEnforcing);
  EXPECT_EQ(c->registries.size(), 6U);
  EXPECT_TRUE(c->aliases.empty());
  expectError(resolve(*c, ref("docker.io/library/busybox")), Code::kPermissionDenied, "blocked");
  EXPECT_TRUE(endpoints(*c, "new.io/x").at(0).insecure);

  ASSERT_TRUE(writeFileAtomic(path.string() + ".d/30-bad.conf", asBytes("[[registry]]\n")));
  expectError(loadRegistriesConf(path), Code::kInvalidArgument, "30-bad.conf");
  ASSERT_TRUE(writeFileAtomic(path, asBytes("short-name-mode = ")));
  expectError(loadRegistriesConf(path), Code::kInvalidArgument, path.string() + ":1:");
}

}  // namespace
}  // namespace cocoon::image::oci
