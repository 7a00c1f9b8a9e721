// SPDX-License-Identifier: Apache-2.0
// containers-policy.json parsing (every rule, exact errors) and scope lookup.
#include "image/trust/policy.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::image::trust {
namespace {

using test::expectError;

Result<Policy> parse(std::string_view text) {
  return parsePolicy(text);
}

oci::Reference imageRef(const std::string& text) {
  auto r = oci::parseReference(text);
  EXPECT_TRUE(r) << text;
  return r ? *r : oci::Reference{};
}

// The shape of the "completely locked down" example of containers-policy.json(5)
// (containers/image docs/containers-policy.json.5.md, EXAMPLES), with our key paths.
constexpr std::string_view kManPageExample = R"({
  "default": [{"type": "reject"}],
  "transports": {
    "docker": {
      "registry.access.redhat.com": [
        {"type": "signedBy", "keyType": "GPGKeys",
         "keyPath": "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"}
      ],
      "registry.redhat.io/redhat/redhat-operator-index": [
        {"type": "insecureAcceptAnything"}
      ],
      "registry.redhat.io": [
        {"type": "signedBy", "keyType": "GPGKeys",
         "keyPath": "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"}
      ],
      "docker.io/openshift": [{"type": "insecureAcceptAnything"}],
      "*.example.com": [{"type": "sigstoreSigned", "keyPath": "/k.pub",
                         "signedIdentity": {"type": "matchRepository"}}],
      "hostname:5000/myns/official": [
        {"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/a.gpg", "/b.gpg"]}
      ],
      "hostname:5000/myns/official:v1": [{"type": "reject"}],
      "private-mirror:5000/vendor-mirror": [
        {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/vendor.gpg",
         "signedIdentity": {"type": "remapIdentity", "prefix": "private-mirror:5000/vendor-mirror",
                            "signedPrefix": "vendor.example.com"}}
      ],
      "": [{"type": "insecureAcceptAnything"}]
    },
    "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}
  }
})";

TEST(PolicyParse, AcceptsTheManPageExample) {
  auto p = parse(kManPageExample);
  ASSERT_TRUE(p) << p.error().toString();
  ASSERT_EQ(p->default_requirements.size(), 1u);
  EXPECT_EQ(p->default_requirements[0].kind, RequirementKind::kReject);
  const auto& docker = p->transports.at("docker");
  EXPECT_EQ(docker.size(), 9u);
  const auto& official = docker.at("hostname:5000/myns/official")[0];
  EXPECT_EQ(official.kind, RequirementKind::kSignedBy);
  EXPECT_EQ(official.key_paths.size(), 2u);
  EXPECT_EQ(official.signed_identity.kind, IdentityKind::kMatchRepoDigestOrExact);
  const auto& remap = docker.at("private-mirror:5000/vendor-mirror")[0].signed_identity;
  EXPECT_EQ(remap.kind, IdentityKind::kRemapIdentity);
  EXPECT_EQ(remap.signed_prefix, "vendor.example.com");
  EXPECT_EQ(docker.at("*.example.com")[0].describe(), "sigstoreSigned (keyPath /k.pub)");
}

TEST(PolicyParse, RequiresDefault) {
  expectError(parse(R"({"transports": {}})"), Code::kInvalidArgument, "policy.default: missing");
}

TEST(PolicyParse, RejectsEmptyRequirementList) {
  expectError(parse(R"({"default": []})"), Code::kInvalidArgument,
              "default: expected a non-empty array of requirements, found an empty array");
}

TEST(PolicyParse, RejectsUnknownTopLevelField) {
  expectError(parse(R"({"default": [{"type": "reject"}], "extra": 1})"), Code::kInvalidArgument,
              "policy: unknown field \"extra\"");
}

TEST(PolicyParse, RejectsUnknownRequirementType) {
  expectError(parse(R"({"default": [{"type": "acceptEverything"}]})"), Code::kInvalidArgument,
              "default[0].type: unknown requirement type \"acceptEverything\"");
}

TEST(PolicyParse, RejectsUnknownFieldInRequirementNamingItsPath) {
  expectError(parse(R"({"default": [{"type": "reject"}], "transports": {"docker": {
      "quay.io": [{"type": "insecureAcceptAnything"},
                  {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "kePath": "/x"}]}}})"),
              Code::kInvalidArgument,
              "transports.docker[\"quay.io\"][1]: unknown field \"kePath\"");
}

TEST(PolicyParse, RejectsExtraFieldOnReject) {
  expectError(parse(R"({"default": [{"type": "reject", "keyPath": "/k"}]})"),
              Code::kInvalidArgument, "default[0]: unknown field \"keyPath\"");
}

TEST(PolicyParse, SignedByNeedsKeyType) {
  expectError(parse(R"({"default": [{"type": "signedBy", "keyPath": "/k"}]})"),
              Code::kInvalidArgument, "default[0].keyType: missing");
}

TEST(PolicyParse, SignedByRefusesUnsupportedKeyTypes) {
  expectError(parse(R"({"default": [{"type": "signedBy", "keyType": "X509Certificates",
                                      "keyPath": "/k"}]})"),
              Code::kUnimplemented, "keyType \"X509Certificates\" is not supported");
  expectError(parse(R"({"default": [{"type": "signedBy", "keyType": "PGP", "keyPath": "/k"}]})"),
              Code::kInvalidArgument, "default[0].keyType: unknown keyType \"PGP\"");
}

TEST(PolicyParse, SignedByNeedsExactlyOneKeySource) {
  expectError(parse(R"({"default": [{"type": "signedBy", "keyType": "GPGKeys"}]})"),
              Code::kInvalidArgument,
              "default[0]: exactly one of keyPath, keyPaths, keyData must be given, found 0");
  expectError(parse(R"({"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k",
                                      "keyData": "AAAA"}]})"),
              Code::kInvalidArgument, "found 2");
}

TEST(PolicyParse, DecodesKeyData) {
  auto p = parse(R"({"default": [{"type": "sigstoreSigned", "keyData": "aGVsbG8="}]})");
  ASSERT_TRUE(p) << p.error().toString();
  EXPECT_EQ(toString(p->default_requirements[0].key_data), "hello");
  expectError(parse(R"({"default": [{"type": "sigstoreSigned", "keyData": "!!"}]})"),
              Code::kInvalidArgument, "default[0].keyData: not non-empty base64");
}

TEST(PolicyParse, SigstoreRefusesFulcioAndRekorByName) {
  expectError(parse(R"({"default": [{"type": "sigstoreSigned", "keyPath": "/k",
                                      "rekorPublicKeyPath": "/r"}]})"),
              Code::kUnimplemented, "\"rekorPublicKeyPath\" is not supported");
  expectError(parse(R"({"default": [{"type": "sigstoreSigned",
                                      "fulcio": {"caPath": "/ca"}}]})"),
              Code::kUnimplemented, "\"fulcio\" is not supported");
  expectError(parse(R"({"default": [{"type": "sigstoreSigned", "keyPath": "/k",
                                      "keyData": "aGk="}]})"),
              Code::kInvalidArgument, "exactly one of keyPath, keyData must be given, found 2");
}

TEST(PolicyParse, ParsesEveryIdentityType) {
  auto p = parse(R"({"default": [
    {"type": "sigstoreSigned", "keyPath": "/k", "signedIdentity": {"type": "matchExact"}},
    {"type": "sigstoreSigned", "keyPath": "/k", "signedIdentity": {"type": "matchRepository"}},
    {"type": "sigstoreSigned", "keyPath": "/k",
     "signedIdentity": {"type": "exactReference", "dockerReference": "busybox:1"}},
    {"type": "sigstoreSigned", "keyPath": "/k",
     "signedIdentity": {"type": "exactRepository", "dockerRepository": "quay.io/a/b"}}]})");
  ASSERT_TRUE(p) << p.error().toString();
  const auto& r = p->default_requirements;
  EXPECT_EQ(r[0].signed_identity.kind, IdentityKind::kMatchExact);
  EXPECT_EQ(r[1].signed_identity.kind, IdentityKind::kMatchRepository);
  EXPECT_EQ(r[2].signed_identity.docker_reference, "docker.io/library/busybox:1");
  EXPECT_EQ(r[3].signed_identity.docker_repository, "quay.io/a/b");
}

TEST(PolicyParse, RejectsBadIdentities) {
  expectError(parse(R"({"default": [{"type": "sigstoreSigned", "keyPath": "/k",
                                      "signedIdentity": {"type": "matchAnything"}}]})"),
              Code::kInvalidArgument,
              "default[0].signedIdentity.type: unknown identity type \"matchAnything\"");
  expectError(parse(R"({"default": [{"type": "sigstoreSigned", "keyPath": "/k",
      "signedIdentity": {"type": "exactReference", "dockerReference": "quay.io/a/b"}}]})"),
              Code::kInvalidArgument, "has neither a tag nor a digest");
  expectError(parse(R"({"default": [{"type": "sigstoreSigned", "keyPath": "/k",
      "signedIdentity": {"type": "matchExact", "dockerReference": "quay.io/a/b:1"}}]})"),
              Code::kInvalidArgument, "unknown field \"dockerReference\"");
  expectError(parse(R"({"default": [{"type": "sigstoreSigned", "keyPath": "/k",
      "signedIdentity": {"type": "remapIdentity", "prefix": "quay.io/a"}}]})"),
              Code::kInvalidArgument, "default[0].signedIdentity.signedPrefix: missing");
  expectError(parse(R"({"default": [{"type": "sigstoreSigned", "keyPath": "/k",
      "signedIdentity": {"type": "remapIdentity", "prefix": "busybox",
                         "signedPrefix": "quay.io/a"}}]})"),
              Code::kInvalidArgument, "signedIdentity.prefix: \"busybox\" is not a registry");
}

TEST(PolicyParse, RejectsDockerScopesThatCouldNeverMatch) {
  for (std::string_view scope :
       {"busybox", "library/busybox", "quay.io/a/b:", "quay.io/A", "*.", "*.a..b"}) {
    auto p = parse(fmt::format(R"({{"default": [{{"type": "reject"}}], "transports": {{"docker":
        {{"{}": [{{"type": "reject"}}]}}}}}})",
                               scope));
    SCOPED_TRACE(scope);
    expectError(p, Code::kInvalidArgument, fmt::format("transports.docker[\"{}\"]", scope));
  }
}

TEST(PolicyParse, RejectsWrongTypesAndDuplicates) {
  expectError(parse(R"({"default": {"type": "reject"}})"), Code::kInvalidArgument,
              "default: expected a non-empty array of requirements, found object");
  expectError(parse(R"({"default": [{"type": 1}]})"), Code::kInvalidArgument,
              "default[0].type: expected a string, found number");
  expectError(parse(R"({"default": [{"type": "reject"}], "default": [{"type": "reject"}]})"),
              Code::kInvalidArgument, "duplicate");
  expectError(parse(R"({"default": [{"type": "reject"}], "transports": {"oci": {
      "relative/dir": [{"type": "reject"}]}}})"),
              Code::kInvalidArgument, "an oci scope is an absolute path");
}

TEST(PolicyParse, CapsTheInputSize) {
  expectError(parse(std::string(kMaxPolicyBytes + 1, ' ')), Code::kResourceExhausted);
}

TEST(PolicyScopes, DockerScopesGoFromMostToLeastSpecific) {
  EXPECT_EQ(dockerScopes(imageRef("a.b.example.com:5000/ns/sub/repo:tag")),
            (std::vector<std::string>{
                "a.b.example.com:5000/ns/sub/repo:tag", "a.b.example.com:5000/ns/sub/repo",
                "a.b.example.com:5000/ns/sub", "a.b.example.com:5000/ns", "a.b.example.com:5000",
                "*.b.example.com", "*.example.com", "*.com"}));
  const std::string digest =
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_EQ(dockerScopes(imageRef("busybox@" + digest)).front(),
            "docker.io/library/busybox@" + digest);
}

TEST(PolicyScopes, LookupPicksTheMostSpecificScope) {
  auto p = parse(kManPageExample);
  ASSERT_TRUE(p);
  auto label = [&](const std::string& image) {
    return findRequirements(*p, kDockerTransport, dockerScopes(imageRef(image))).label;
  };
  EXPECT_EQ(label("hostname:5000/myns/official:v1"),
            "transports.docker[\"hostname:5000/myns/official:v1\"]");
  EXPECT_EQ(label("hostname:5000/myns/official:v2"),
            "transports.docker[\"hostname:5000/myns/official\"]");
  EXPECT_EQ(label("registry.redhat.io/redhat/redhat-operator-index:v4"),
            "transports.docker[\"registry.redhat.io/redhat/redhat-operator-index\"]");
  EXPECT_EQ(label("registry.redhat.io/ubi9:latest"), "transports.docker[\"registry.redhat.io\"]");
  EXPECT_EQ(label("docker.io/openshift/origin:v3"), "transports.docker[\"docker.io/openshift\"]");
  EXPECT_EQ(label("x.y.example.com/a:1"), "transports.docker[\"*.example.com\"]");
  EXPECT_EQ(label("quay.io/a/b:1"), "transports.docker[\"\"]");
  EXPECT_EQ(findRequirements(*p, kOciTransport, ociLayoutScopes("/srv/img", "v1")).label,
            "default");
}

TEST(PolicyScopes, OciLayoutScopesArePaths) {
  EXPECT_EQ(ociLayoutScopes("/srv/images/app/", "v1"),
            (std::vector<std::string>{"/srv/images/app:v1", "/srv/images/app", "/srv/images",
                                      "/srv", "/"}));
}

}  // namespace
}  // namespace cocoon::image::trust
