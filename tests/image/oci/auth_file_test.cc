// SPDX-License-Identifier: Apache-2.0
// Shapes follow containers-auth.json(5) and what `docker login` / `podman login` write.
#include "image/oci/auth_file.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::image::oci {
namespace {

using test::expectError;

std::string secret(const SecretBytes& s) {
  return toString(s.span());
}

// base64("alice:s3cr:et") and base64("bob:pw").
constexpr std::string_view kAuthFile = R"({
  "auths": {
    "quay.io": {"auth": "YWxpY2U6czNjcjpldA=="},
    "quay.io/team": {"username": "bob", "password": "pw"},
    "quay.io/team/app": {"auth": "Ym9iOnB3", "identitytoken": "tok"},
    "https://index.docker.io/v1/": {"auth": "Ym9iOnB3"},
    "helper.io": {}
  },
  "credsStore": "desktop",
  "credHelpers": {"gcr.io": "gcloud"}
})";

TEST(AuthFile, ParsesAndNormalisesKeys) {
  auto file = parseAuthFile(kAuthFile, "auth.json");
  ASSERT_TRUE(file) << file.error().toString();
  EXPECT_EQ(file->auths.size(), 4U);
  const Credentials& hub = file->auths.at("docker.io");
  EXPECT_EQ(hub.username, "bob");
  EXPECT_EQ(secret(hub.password), "pw");
  EXPECT_EQ(secret(file->auths.at("quay.io").password), "s3cr:et");
  EXPECT_EQ(secret(file->auths.at("quay.io/team/app").identity_token), "tok");
  EXPECT_EQ(file->auths.count("helper.io"), 0U);
}

TEST(AuthFile, MostSpecificKeyWins) {
  const AuthFile file = *parseAuthFile(kAuthFile, "auth.json");
  EXPECT_EQ(findCredentials(file, "quay.io", "team/app/sub"), &file.auths.at("quay.io/team/app"));
  EXPECT_EQ(findCredentials(file, "quay.io", "team/other"), &file.auths.at("quay.io/team"));
  EXPECT_EQ(findCredentials(file, "quay.io", "teamx/app"), &file.auths.at("quay.io"));
  EXPECT_EQ(findCredentials(file, "docker.io", "library/busybox"), &file.auths.at("docker.io"));
  EXPECT_EQ(findCredentials(file, "quay.io.evil", "x"), nullptr);
  EXPECT_EQ(findCredentials(file, "gcr.io", "x"), nullptr);
}

TEST(AuthFile, RejectsMalformedEntriesWithoutLeakingSecrets) {
  struct Bad {
    const char* text;
    const char* message;
  };
  const Bad cases[] = {
      {R"({"auths": {"q.io": {"auth": "c2VjcmV0"}}})", "auths \"q.io\": \"auth\" does not decode"},
      {R"({"auths": {"q.io": {"auth": "not base64!"}}})", "not valid base64"},
      {R"({"auths": {"q.io": {"auth": "Ym9iOnB3", "username": "eve"}}})", "another user"},
      {R"({"auths": {"q.io": {"password": 5}}})", "\"password\" is number"},
      {R"({"auths": {"q.io": "x"}})", "entry is string"},
      {R"({"auths": []})", "\"auths\" is array"},
      {R"([])", "expected a JSON object"},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.text);
    auto r = parseAuthFile(bad.text, "auth.json");
    expectError(r, Code::kInvalidArgument, bad.message);
    EXPECT_EQ(r.error().toString().find("secret"), std::string::npos);
    EXPECT_EQ(r.error().toString().find("c2VjcmV0"), std::string::npos);
  }
  auto truncated = parseAuthFile(R"({"auths": {"q.io": {"auth": "c2VjcmV0)", "/x/auth.json");
  expectError(truncated, Code::kInvalidArgument);
  EXPECT_NE(truncated.error().toString().find("/x/auth.json"), std::string::npos);
  EXPECT_EQ(truncated.error().toString().find("c2VjcmV0"), std::string::npos);
}

TEST(AuthFile, SearchPathsFollowContainersImage) {
  std::map<std::string, std::string, std::less<>> vars;
  auto env = [&vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  using Paths = std::vector<std::filesystem::path>;
  vars = {{"HOME", "/home/u"}, {"XDG_RUNTIME_DIR", "/run/user/1"}};
  EXPECT_EQ(authFilePaths(env),
            (Paths{"/run/user/1/containers/auth.json", "/home/u/.config/containers/auth.json",
                   "/home/u/.docker/config.json"}));
  vars = {{"HOME", "/home/u"},
          {"XDG_RUNTIME_DIR", "/run/user/1"},
          {"XDG_CONFIG_HOME", "/cfg"},
          {"DOCKER_CONFIG", "/dock"}};
  EXPECT_EQ(authFilePaths(env), (Paths{"/run/user/1/containers/auth.json",
                                       "/cfg/containers/auth.json", "/dock/config.json"}));
  vars["REGISTRY_AUTH_FILE"] = "/only.json";
  EXPECT_EQ(authFilePaths(env), Paths{"/only.json"});
  vars = {};
  const Paths bare = authFilePaths(env);
  ASSERT_EQ(bare.size(), 1U);
  EXPECT_TRUE(bare[0].string().starts_with("/run/containers/"));
}

TEST(AuthFile, FirstFileWithAMatchWins) {
  auto dir = TempDir::create("oci-auth");
  ASSERT_TRUE(dir);
  const auto first = dir->path() / "auth.json";
  const auto second = dir->path() / "config.json";
  const auto missing = dir->path() / "missing.json";
  ASSERT_TRUE(writeFileAtomic(first, asBytes(R"({"auths": {"a.io": {"auth": "Ym9iOnB3"}}})")));
  ASSERT_TRUE(writeFileAtomic(second, asBytes(kAuthFile)));
  const std::vector<std::filesystem::path> paths{missing, first, second};

  auto a = lookupCredentials(paths, "a.io", "x");
  ASSERT_TRUE(a) << a.error().toString();
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->username, "bob");
  auto q = lookupCredentials(paths, "quay.io", "team/y");
  ASSERT_TRUE(q && *q);
  EXPECT_EQ(secret((*q)->password), "pw");
  auto none = lookupCredentials(paths, "other.io", "x");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  ASSERT_TRUE(writeFileAtomic(first, asBytes("{")));
  expectError(lookupCredentials(paths, "a.io", "x"), Code::kInvalidArgument);
  EXPECT_NE(lookupCredentials(paths, "a.io", "x").error().toString().find(first.string()),
            std::string::npos);
}

}  // namespace
}  // namespace cocoon::image::oci
