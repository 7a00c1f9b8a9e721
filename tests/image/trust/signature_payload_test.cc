// SPDX-License-Identifier: Apache-2.0
// Simple-signing payload parsing and the signedIdentity rules.
#include "image/trust/signature_payload.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::image::trust {
namespace {

using test::expectError;

// The example payload of containers-signature(5) (containers/image
// docs/containers-signature.5.md, "JSON Data Format").
constexpr std::string_view kManPagePayload = R"({
    "critical": {
        "identity": {
            "docker-reference": "docker.io/library/busybox:latest"
        },
        "image": {
            "docker-manifest-digest": "sha256:817a12c32a39bbe394944ba49de563e085f1d3c5266eb8e9723256bc4448680e"
        },
        "type": "atomic container signature"
    },
    "optional": {
        "creator": "atomic 2.0.0",
        "timestamp": 1458239713
    }
})";

constexpr std::string_view kDigest =
    "sha256:817a12c32a39bbe394944ba49de563e085f1d3c5266eb8e9723256bc4448680e";

Result<SignaturePayload> parse(std::string_view text, PayloadFormat f = PayloadFormat::kAtomic) {
  return parseSignaturePayload(asBytes(text), f);
}

std::string cosign(std::string_view critical_extra = "", std::string_view optional = "null") {
  return fmt::format(R"({{"critical":{{"identity":{{"docker-reference":"quay.io/a/b:v1"}},)"
                     R"("image":{{"docker-manifest-digest":"{}"}},)"
                     R"("type":"cosign container image signature"{}}},"optional":{}}})",
                     kDigest, critical_extra, optional);
}

oci::Reference imageRef(const std::string& text) {
  auto r = oci::parseReference(text);
  EXPECT_TRUE(r) << text;
  return r ? *r : oci::Reference{};
}

TEST(SignaturePayload, ParsesTheManPageExample) {
  auto p = parse(kManPagePayload);
  ASSERT_TRUE(p) << p.error().toString();
  EXPECT_EQ(p->manifest_digest.toString(), kDigest);
  EXPECT_EQ(p->docker_reference, "docker.io/library/busybox:latest");
  EXPECT_EQ(p->creator, "atomic 2.0.0");
  EXPECT_EQ(p->timestamp, 1458239713);
}

TEST(SignaturePayload, TypeMustMatchTheFormat) {
  expectError(parse(kManPagePayload, PayloadFormat::kCosign), Code::kInvalidArgument,
              "critical.type: expected \"cosign container image signature\", found \"atomic "
              "container signature\"");
  auto c = parse(cosign(), PayloadFormat::kCosign);
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_FALSE(c->creator);
}

TEST(SignaturePayload, RefusesUnknownCriticalFields) {
  expectError(parse(cosign(R"(,"extra":1)"), PayloadFormat::kCosign), Code::kInvalidArgument,
              "critical: unknown field \"extra\"");
  std::string nested = cosign();
  nested.replace(nested.find(R"("docker-reference")"), 0, R"("x":1,)");
  expectError(parse(nested, PayloadFormat::kCosign), Code::kInvalidArgument,
              "critical.identity: unknown field \"x\"");
}

TEST(SignaturePayload, RefusesMissingAndMistypedFields) {
  expectError(parse(R"({"optional":{}})"), Code::kInvalidArgument, "critical: missing");
  expectError(parse(R"({"critical":{"type":"atomic container signature","image":{}, "identity":
      {"docker-reference":"x"}},"optional":{}})"),
              Code::kInvalidArgument, "critical.image.docker-manifest-digest: missing");
  expectError(parse(cosign("", R"({"timestamp":"now"})"), PayloadFormat::kCosign),
              Code::kInvalidArgument, "optional.timestamp: expected an integer, found string");
  std::string no_optional(kManPagePayload.substr(0, kManPagePayload.find(",\n    \"optional\"")));
  expectError(parse(no_optional + "}"), Code::kInvalidArgument, "optional: missing");
  expectError(parse(R"({"critical":{},"optional":{},"x":1})"), Code::kInvalidArgument,
              "payload: unknown field \"x\"");
  expectError(parse("[]"), Code::kInvalidArgument, "payload: expected an object");
}

TEST(SignaturePayload, RefusesABadDigest) {
  std::string bad = cosign();
  bad.replace(bad.find("sha256:817a"), 11, "sha256:817A");
  expectError(parse(bad, PayloadFormat::kCosign), Code::kInvalidArgument);
}

TEST(SignaturePayload, CapsTheSize) {
  expectError(parse(std::string(kMaxPayloadBytes + 1, ' ')), Code::kResourceExhausted);
}

TEST(SignedIdentity, MatchRepoDigestOrExact) {
  SignedIdentity rule;  // the default
  EXPECT_TRUE(identityMatches(rule, imageRef("quay.io/a/b:v1"), "quay.io/a/b:v1"));
  EXPECT_FALSE(identityMatches(rule, imageRef("quay.io/a/b:v1"), "quay.io/a/b:v2"));
  EXPECT_FALSE(identityMatches(rule, imageRef("quay.io/a/b:v1"), "quay.io/a/b"));
  EXPECT_TRUE(identityMatches(rule, imageRef(std::string("quay.io/a/b@") + std::string(kDigest)),
                              "quay.io/a/b:anything"));
  EXPECT_FALSE(identityMatches(rule, imageRef(std::string("quay.io/a/b@") + std::string(kDigest)),
                               "quay.io/a/c:v1"));
  EXPECT_TRUE(identityMatches(rule, imageRef("busybox"), "docker.io/library/busybox:latest"));
  EXPECT_FALSE(identityMatches(rule, imageRef("busybox"), "not a reference"));
}

TEST(SignedIdentity, MatchExactAndRepository) {
  SignedIdentity exact{.kind = IdentityKind::kMatchExact};
  EXPECT_TRUE(identityMatches(exact, imageRef("quay.io/a/b:v1"), "quay.io/a/b:v1"));
  EXPECT_FALSE(identityMatches(exact, imageRef(std::string("quay.io/a/b@") + std::string(kDigest)),
                               "quay.io/a/b:v1"));
  SignedIdentity repo{.kind = IdentityKind::kMatchRepository};
  EXPECT_TRUE(identityMatches(repo, imageRef("quay.io/a/b:v1"), "quay.io/a/b:v9"));
  EXPECT_TRUE(identityMatches(repo, imageRef("quay.io/a/b:v1"), "quay.io/a/b"));
  EXPECT_FALSE(identityMatches(repo, imageRef("quay.io/a/b:v1"), "quay.io/a/bb:v1"));
}

TEST(SignedIdentity, ExactReferenceAndRepository) {
  SignedIdentity exact{.kind = IdentityKind::kExactReference,
                       .docker_reference = "quay.io/vendor/app:1"};
  EXPECT_TRUE(identityMatches(exact, imageRef("mirror:5000/app:7"), "quay.io/vendor/app:1"));
  EXPECT_FALSE(identityMatches(exact, imageRef("mirror:5000/app:7"), "quay.io/vendor/app:2"));
  SignedIdentity repo{.kind = IdentityKind::kExactRepository,
                      .docker_repository = "quay.io/vendor/app"};
  EXPECT_TRUE(identityMatches(repo, imageRef("mirror:5000/app:7"), "quay.io/vendor/app:2"));
  EXPECT_FALSE(identityMatches(repo, imageRef("mirror:5000/app:7"), "quay.io/vendor/other:2"));
}

TEST(SignedIdentity, RemapIdentityReplacesThePrefixAtASlash) {
  SignedIdentity remap{.kind = IdentityKind::kRemapIdentity,
                       .prefix = "mirror:5000/vendor",
                       .signed_prefix = "vendor.example.com/ns"};
  EXPECT_TRUE(
      identityMatches(remap, imageRef("mirror:5000/vendor/app:1"), "vendor.example.com/ns/app:1"));
  EXPECT_FALSE(
      identityMatches(remap, imageRef("mirror:5000/vendor/app:1"), "vendor.example.com/ns/app:2"));
  // "vendorx" is not under the "vendor" namespace: no remapping, plain matching.
  EXPECT_FALSE(identityMatches(remap, imageRef("mirror:5000/vendorx/app:1"),
                               "vendor.example.comx/ns/app:1"));
  EXPECT_TRUE(
      identityMatches(remap, imageRef("mirror:5000/vendorx/app:1"), "mirror:5000/vendorx/app:1"));
}

TEST(SignaturePayloadCheck, NamesTheDigestAndIdentityMismatch) {
  const std::string manifest = R"({"schemaVersion":2})";
  const std::string digest = oci::computeDigest(asBytes(manifest)).toString();
  SignaturePayload p;
  p.manifest_digest = *oci::parseDigest(kDigest);
  p.docker_reference = "quay.io/a/b:v1";
  expectError(
      checkPayload(p, {}, imageRef("quay.io/a/b:v1"), asBytes(manifest)), Code::kPermissionDenied,
      fmt::format("signature is for manifest {}, the image's manifest is {}", kDigest, digest));
  p.manifest_digest = *oci::parseDigest(digest);
  EXPECT_TRUE(checkPayload(p, {}, imageRef("quay.io/a/b:v1"), asBytes(manifest)));
  expectError(checkPayload(p, {}, imageRef("quay.io/a/b:v2"), asBytes(manifest)),
              Code::kPermissionDenied,
              "signature identity \"quay.io/a/b:v1\" does not match quay.io/a/b:v2");
}

}  // namespace
}  // namespace cocoon::image::trust
