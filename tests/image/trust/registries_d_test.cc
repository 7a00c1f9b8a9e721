// SPDX-License-Identifier: Apache-2.0
// containers-registries.d parsing and lookups.
#include "image/trust/registries_d.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::image::trust {
namespace {

using test::expectError;

oci::Reference imageRef(const std::string& text) {
  auto r = oci::parseReference(text);
  EXPECT_TRUE(r) << text;
  return r ? *r : oci::Reference{};
}

// The example of containers-registries.d(5) (containers/image
// docs/containers-registries.d.5.md, EXAMPLES), plus sigstore attachments.
constexpr std::string_view kManPageExample = R"(
docker:
    privateregistry.com:
        lookaside: http://privateregistry.com/sigstore/
        lookaside-staging: /mnt/nfs/privateregistry/sigstore
    privateregistry.com/project:
        use-sigstore-attachments: true
default-docker:
    lookaside: file:///var/lib/containers/sigstore-default
)";

TEST(RegistriesD, ParsesTheManPageExample) {
  RegistriesD config;
  ASSERT_TRUE(parseRegistriesDYaml(kManPageExample, "example.yaml", config));
  EXPECT_EQ(lookasideFor(config, imageRef("privateregistry.com/project/app:1")),
            "http://privateregistry.com/sigstore/");
  EXPECT_EQ(lookasideFor(config, imageRef("privateregistry.com/project/app:1"), true),
            "/mnt/nfs/privateregistry/sigstore");
  EXPECT_EQ(lookasideFor(config, imageRef("quay.io/a:1")),
            "file:///var/lib/containers/sigstore-default");
  EXPECT_TRUE(useSigstoreAttachments(config, imageRef("privateregistry.com/project/app:1")));
  EXPECT_FALSE(useSigstoreAttachments(config, imageRef("privateregistry.com/other:1")));
}

TEST(RegistriesD, DefaultsWhenNothingIsConfigured) {
  RegistriesD config;
  EXPECT_EQ(lookasideFor(config, imageRef("quay.io/a:1")), kDefaultLookaside);
  EXPECT_FALSE(useSigstoreAttachments(config, imageRef("quay.io/a:1")));
}

TEST(RegistriesD, AcceptsTheOldSigstoreNames) {
  RegistriesD config;
  ASSERT_TRUE(
      parseRegistriesDYaml("docker:\n  quay.io:\n    sigstore: file:///s\n"
                           "    sigstore-staging: file:///t\n",
                           "old.yaml", config));
  EXPECT_EQ(lookasideFor(config, imageRef("quay.io/a:1")), "file:///s");
  EXPECT_EQ(lookasideFor(config, imageRef("quay.io/a:1"), true), "file:///t");
}

TEST(RegistriesD, RefusesUnknownKeysAndBadValues) {
  RegistriesD config;
  expectError(
      parseRegistriesDYaml("docker:\n  quay.io:\n    lookside: file:///s\n", "a.yaml", config),
      Code::kInvalidArgument, "a.yaml: docker.quay.io: unknown key \"lookside\"");
  expectError(parseRegistriesDYaml("dockers: {}\n", "a.yaml", config), Code::kInvalidArgument,
              "a.yaml: unknown key \"dockers\"");
  expectError(parseRegistriesDYaml("docker:\n  quay.io:\n    use-sigstore-attachments: maybe\n",
                                   "a.yaml", config),
              Code::kInvalidArgument,
              "docker.quay.io.use-sigstore-attachments: expected true or false");
  expectError(parseRegistriesDYaml("docker:\n  quay.io:\n    lookaside: [a]\n", "a.yaml", config),
              Code::kInvalidArgument, "docker.quay.io.lookaside: expected a string");
  expectError(parseRegistriesDYaml("docker:\n  quay.io:\n    lookaside: file:///a\n"
                                   "    sigstore: file:///b\n",
                                   "a.yaml", config),
              Code::kInvalidArgument, "both lookaside and sigstore are set");
  expectError(parseRegistriesDYaml("docker: [\n", "a.yaml", config), Code::kInvalidArgument,
              "a.yaml: malformed YAML");
  EXPECT_TRUE(config.docker.empty());
}

TEST(RegistriesD, RefusesAScopeDefinedTwiceAcrossFiles) {
  auto dir = TempDir::create("registries-d");
  ASSERT_TRUE(dir);
  ASSERT_TRUE(writeFileAtomic(dir->path() / "a.yaml",
                              asBytes("docker:\n  quay.io:\n    lookaside: file:///a\n")));
  ASSERT_TRUE(writeFileAtomic(dir->path() / "ignored.yml", asBytes("not: [valid\n")));
  auto one = loadRegistriesD(dir->path());
  ASSERT_TRUE(one) << one.error().toString();
  EXPECT_EQ(lookasideFor(*one, imageRef("quay.io/x:1")), "file:///a");
  ASSERT_TRUE(writeFileAtomic(dir->path() / "b.yaml",
                              asBytes("docker:\n  quay.io:\n    lookaside: file:///b\n")));
  expectError(loadRegistriesD(dir->path()), Code::kInvalidArgument,
              "docker.quay.io: scope defined more than once");
}

TEST(RegistriesD, MissingDirectoryIsEmpty) {
  auto config = loadRegistriesD("/nonexistent/registries.d");
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->docker.empty());
}

}  // namespace
}  // namespace cocoon::image::trust
