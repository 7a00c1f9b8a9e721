// SPDX-License-Identifier: Apache-2.0
// Sample documents are real: written by umoci 0.4 (init/new/repack) and skopeo 1.9
// (copy --format v2s2 oci:... dir:...) into a temp dir, or shaped exactly like what
// registries serve for docker.io/library/busybox (a Docker manifest list).
#include "image/oci/manifest.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::image::oci {
namespace {

using test::expectError;

// umoci repack: an OCI manifest without "mediaType" (optional in image-spec 1.0), 345 bytes
// ending in a newline, stored as blob sha256:8c0f9e40....
constexpr std::string_view kUmociManifest =
    R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
    R"("digest":"sha256:ece9ebea32fa62d1dafd151691145fd114c0806c1825e57bc0181d84860c630b",)"
    R"("size":292},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
    R"("digest":"sha256:446308864996c4ad193d6bd7affe037ec1e9f4c00bdcd5140e344f8170a2d535",)"
    R"("size":140}]})"
    "\n";

// skopeo copy --format v2s2 of the same image.
constexpr std::string_view kSkopeoDockerManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
    R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":292,)"
    R"("digest":"sha256:ece9ebea32fa62d1dafd151691145fd114c0806c1825e57bc0181d84860c630b"},)"
    R"("layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":140,)"
    R"("digest":"sha256:446308864996c4ad193d6bd7affe037ec1e9f4c00bdcd5140e344f8170a2d535"}]})";

// A Docker manifest list in the shape docker.io serves for busybox (digests shortened to
// repeated hex so the test stays readable).
const std::string kManifestList = R"({
  "manifests": [
    {"digest": "sha256:)" + std::string(64, '1') +
                                  R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "amd64", "os": "linux"}, "size": 528},
    {"digest": "sha256:)" + std::string(64, '2') +
                                  R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "arm", "os": "linux", "variant": "v5"}, "size": 528},
    {"digest": "sha256:)" + std::string(64, '3') +
                                  R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "arm", "os": "linux", "variant": "v6"}, "size": 528},
    {"digest": "sha256:)" + std::string(64, '4') +
                                  R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}, "size": 528},
    {"digest": "sha256:)" + std::string(64, '5') +
                                  R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "s390x", "os": "linux"}, "size": 528}
  ],
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "schemaVersion": 2
})";

std::string digestOf(char c) {
  return "sha256:" + std::string(64, c);
}

// An OCI manifest with one layer of `layer_type`.
std::string ociManifest(std::string_view layer_type) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,)"
         R"("digest":")" +
         digestOf('a') + R"("},"layers":[{"mediaType":")" + std::string(layer_type) +
         R"(","size":10,"digest":")" + digestOf('b') + R"("}]})";
}

TEST(Manifest, ParsesUmociOciManifestWithoutMediaType) {
  EXPECT_TRUE(verifyDigest(*parseDigest("sha256:8c0f9e40c1ab90f50670c3fff80e49c9b55d75d52a8e1af"
                                        "76589c766e6dbc13a"),
                           asBytes(kUmociManifest), "manifest"));
  auto m = parseImageManifest(asBytes(kUmociManifest), "");
  ASSERT_TRUE(m) << m.error().toString();
  EXPECT_EQ(m->kind, ManifestKind::kOciImageManifest);
  EXPECT_EQ(m->config.media_type, kOciConfig);
  EXPECT_EQ(m->config.size, 292);
  ASSERT_EQ(m->layers.size(), 1U);
  EXPECT_EQ(m->layers[0].type.compression, Compression::kGzip);
  EXPECT_FALSE(m->layers[0].type.encrypted);
  EXPECT_EQ(m->layers[0].descriptor.digest.toString(),
            "sha256:446308864996c4ad193d6bd7affe037ec1e9f4c00bdcd5140e344f8170a2d535");
}

TEST(Manifest, ParsesSkopeoDockerSchema2) {
  auto m = parseImageManifest(asBytes(kSkopeoDockerManifest),
                              "application/vnd.docker.distribution.manifest.v2+json");
  ASSERT_TRUE(m) << m.error().toString();
  EXPECT_EQ(m->kind, ManifestKind::kDockerSchema2);
  EXPECT_EQ(m->config.media_type, kDockerConfig);
  ASSERT_EQ(m->layers.size(), 1U);
  EXPECT_EQ(m->layers[0].type.compression, Compression::kGzip);
  EXPECT_EQ(m->layers[0].descriptor.size, 140);
}

TEST(Manifest, ParsesManifestListAndIgnoresGenericContentType) {
  auto doc = parseManifest(asBytes(kManifestList), "application/json; charset=utf-8");
  ASSERT_TRUE(doc) << doc.error().toString();
  const auto* index = std::get_if<ImageIndex>(&*doc);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->kind, ManifestKind::kDockerList);
  ASSERT_EQ(index->manifests.size(), 5U);
  ASSERT_TRUE(index->manifests[1].platform);
  EXPECT_EQ(index->manifests[1].platform->toString(), "linux/arm/v5");
  expectError(parseImageManifest(asBytes(kManifestList), ""), Code::kInvalidArgument,
              "expected an image manifest, found an image index");
}

TEST(Manifest, ParsesOciIndexWithOptionalFields) {
  const std::string text =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
    "manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7,
      "digest":")" +
      digestOf('c') + R"(","urls":["https://example.com/x"],
      "annotations":{"org.opencontainers.image.ref.name":"latest"},
      "platform":{"architecture":"amd64","os":"windows","os.version":"10.0.17763.1",
                  "os.features":["win32k"]}}],
    "annotations":null})";
  auto doc = parseManifest(asBytes(text), "application/vnd.oci.image.index.v1+json");
  ASSERT_TRUE(doc) << doc.error().toString();
  const Descriptor& d = std::get<ImageIndex>(*doc).manifests.at(0);
  EXPECT_EQ(d.urls, std::vector<std::string>{"https://example.com/x"});
  EXPECT_EQ(d.annotations.at("org.opencontainers.image.ref.name"), "latest");
  EXPECT_EQ(d.platform->os_version, "10.0.17763.1");
  EXPECT_EQ(d.platform->os_features, std::vector<std::string>{"win32k"});
}

TEST(Manifest, ClassifiesEveryLayerMediaType) {
  struct Case {
    std::string type;
    Compression compression;
    bool encrypted;
    bool non_distributable;
  };
  const Case cases[] = {
      {"application/vnd.oci.image.layer.v1.tar", Compression::kNone, false, false},
      {"application/vnd.oci.image.layer.v1.tar+gzip", Compression::kGzip, false, false},
      {"application/vnd.oci.image.layer.v1.tar+zstd", Compression::kZstd, false, false},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar", Compression::kNone, false, true},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Compression::kGzip, false,
       true},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", Compression::kZstd, false,
       true},
      {"application/vnd.docker.image.rootfs.diff.tar.gzip", Compression::kGzip, false, false},
      {"application/vnd.docker.image.rootfs.diff.tar", Compression::kNone, false, false},
      {"application/vnd.docker.image.rootfs.diff.tar.zstd", Compression::kZstd, false, false},
      {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", Compression::kGzip, false,
       true},
      {"application/vnd.oci.image.layer.v1.tar+encrypted", Compression::kNone, true, false},
      {"application/vnd.oci.image.layer.v1.tar+gzip+encrypted", Compression::kGzip, true, false},
      {"application/vnd.oci.image.layer.v1.tar+zstd+encrypted", Compression::kZstd, true, false},
      {"application/vnd.docker.image.rootfs.diff.tar.gzip+encrypted", Compression::kGzip, true,
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    auto m = parseImageManifest(asBytes(ociManifest(c.type)), "");
    ASSERT_TRUE(m) << m.error().toString();
    EXPECT_EQ(m->layers.at(0).type.compression, c.compression);
    EXPECT_EQ(m->layers.at(0).type.encrypted, c.encrypted);
    EXPECT_EQ(m->layers.at(0).type.non_distributable, c.non_distributable);
  }
}

TEST(Manifest, RejectsUnknownLayerMediaTypes) {
  for (const char* type : {"application/vnd.oci.image.layer.v1.tar+bzip2",
                           "application/vnd.oci.image.layer.v1.tar+encrypted+gzip",
                           "application/vnd.oci.image.config.v1+json", "+encrypted"}) {
    SCOPED_TRACE(type);
    auto m = parseImageManifest(asBytes(ociManifest(type)), "");
    expectError(m, Code::kInvalidArgument, fmt::format("unknown layer media type \"{}\"", type));
    EXPECT_NE(m.error().toString().find("layers[0]"), std::string::npos);
  }
}

TEST(Manifest, RejectsSchema1) {
  const std::string schema1 =
      R"({"schemaVersion":1,"name":"library/busybox","tag":"latest","architecture":"amd64",)"
      R"("fsLayers":[{"blobSum":")" +
      digestOf('a') + R"("}],"history":[],"signatures":[]})";
  expectError(parseManifest(asBytes(schema1), ""), Code::kUnimplemented,
              "schema 1 is not supported: re-push the image with a current tool");
  expectError(
      parseManifest(asBytes(schema1), "application/vnd.docker.distribution.manifest.v1+prettyjws"),
      Code::kUnimplemented, "schema 1");
  expectError(parseManifest(asBytes(kSkopeoDockerManifest),
                            "application/vnd.docker.distribution.manifest.v1+json"),
              Code::kUnimplemented, "re-push the image");
}

TEST(Manifest, RejectsDisagreeingOrUnknownMediaTypes) {
  expectError(parseManifest(asBytes(kSkopeoDockerManifest), kOciManifest), Code::kInvalidArgument,
              "mediaType application/vnd.docker.distribution.manifest.v2+json disagrees with "
              "Content-Type application/vnd.oci.image.manifest.v1+json");
  expectError(parseManifest(asBytes(kUmociManifest), "application/vnd.example+json"),
              Code::kInvalidArgument, "unsupported manifest media type");
  expectError(parseManifest(asBytes(ociManifest("x")), kOciIndex), Code::kInvalidArgument,
              "disagrees");
  std::string wrong_type = kSkopeoDockerManifest.data();
  wrong_type.replace(wrong_type.find("manifest.v2"), 11, "manifest.v3");
  expectError(parseManifest(asBytes(wrong_type), ""), Code::kInvalidArgument,
              "unsupported manifest media type");
}

TEST(Manifest, RejectsAmbiguousDocuments) {
  std::string both = ociManifest(kOciLayerTar);
  both.insert(1, R"("manifests":[],)");
  expectError(parseManifest(asBytes(both), ""), Code::kInvalidArgument, "ambiguous");
  std::string index = kManifestList;
  index.insert(1, R"("layers":[],)");
  expectError(parseManifest(asBytes(index), ""), Code::kInvalidArgument, "ambiguous");
  expectError(parseManifest(asBytes(R"({"schemaVersion":2})"), ""), Code::kInvalidArgument,
              "neither");
}

TEST(Manifest, RejectsBadDescriptors) {
  struct Bad {
    std::string from;
    std::string to;
    const char* message;
  };
  const std::string m = ociManifest(kOciLayerGzip);
  const Bad cases[] = {
      {R"("size":10)", R"("size":-1)", "-1 is outside [0, 2^53]"},
      {R"("size":10)", R"("size":9007199254740993)", "9007199254740993 is outside"},
      {R"("size":10)", R"("size":1.5)", "field \"size\""},
      {R"("size":10)", R"("size":"10")", "field \"size\""},
      {R"("size":10,)", "", "missing field \"size\""},
      {digestOf('b'), "sha256:bbb", "has 3 hex digits"},
      {R"(,"size":2)", R"(,"size":2,"urls":[1])", "field \"urls\"[0]"},
      {R"(,"size":2)", R"(,"size":2,"annotations":{"a":1})", "member \"a\": expected string"},
      {"application/vnd.oci.image.config.v1+json", "application/vnd.cncf.helm.config.v1+json",
       "is not an image config"},
      {R"("schemaVersion":2)", R"("schemaVersion":3)", "schemaVersion is 3, expected 2"},
      {R"("schemaVersion":2,)", "", "missing field \"schemaVersion\""},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.message);
    std::string text = m;
    const std::size_t at = text.find(bad.from);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, bad.from.size(), bad.to);
    expectError(parseManifest(asBytes(text), ""), Code::kInvalidArgument, bad.message);
  }
  auto m2 = parseManifest(asBytes(R"({"schemaVersion":2,"manifests":[{"mediaType":"x",)"
                                  R"("size":1,"digest":"sha256:00"}]})"),
                          "");
  expectError(m2, Code::kInvalidArgument, "has 2 hex digits");
  EXPECT_EQ(m2.error().toString(),
            "INVALID_ARGUMENT: manifests[0]: field \"digest\": sha256 digest has 2 hex digits, "
            "expected 64");
  expectError(parseManifest(asBytes("[]"), ""), Code::kInvalidArgument, "found array");
  expectError(parseManifest(asBytes("{"), ""), Code::kInvalidArgument, "");
}

TEST(Manifest, RejectsOversizedDocuments) {
  std::string big = ociManifest(kOciLayerGzip);
  big.insert(1, R"("pad":")" + std::string(4 << 20, 'x') + R"(",)");
  expectError(parseManifest(asBytes(big), ""), Code::kResourceExhausted,
              "over the limit of 4194304");
  const std::string small = ociManifest(kOciLayerGzip);
  expectError(parseManifest(asBytes(small), "", {.max_bytes = small.size() - 1}),
              Code::kResourceExhausted, "over the limit");
  EXPECT_TRUE(parseManifest(asBytes(small), "", {.max_bytes = small.size()}));
}

Platform platform(std::string_view text) {
  auto p = parsePlatform(text);
  EXPECT_TRUE(p) << p.error().toString();
  return p ? *p : Platform{};
}

TEST(SelectManifest, PicksThePlatform) {
  const auto index = std::get<ImageIndex>(*parseManifest(asBytes(kManifestList), ""));
  EXPECT_EQ(selectManifest(index, platform("linux/amd64"))->digest.toString(), digestOf('1'));
  EXPECT_EQ(selectManifest(index, platform("linux/arm64"))->digest.toString(), digestOf('4'));
  EXPECT_EQ(selectManifest(index, platform("linux/aarch64/8"))->digest.toString(), digestOf('4'));
  // No v7 image: an arm v7 host takes the closest lower variant, v6.
  EXPECT_EQ(selectManifest(index, platform("linux/arm/v7"))->digest.toString(), digestOf('3'));
  EXPECT_EQ(selectManifest(index, platform("linux/arm/v5"))->digest.toString(), digestOf('2'));
  // amd64 v3 runs the baseline (v1) image.
  EXPECT_EQ(selectManifest(index, platform("linux/amd64/v3"))->digest.toString(), digestOf('1'));
}

TEST(SelectManifest, ReportsAvailablePlatformsWhenNothingMatches) {
  const auto index = std::get<ImageIndex>(*parseManifest(asBytes(kManifestList), ""));
  expectError(selectManifest(index, platform("linux/ppc64le")), Code::kNotFound,
              "no image for linux/ppc64le in the index; available: linux/amd64, linux/arm/v5, "
              "linux/arm/v6, linux/arm64/v8, linux/s390x");
  expectError(selectManifest(index, platform("windows/amd64")), Code::kNotFound, "windows/amd64");
  expectError(selectManifest(ImageIndex{}, platform("linux/amd64")), Code::kNotFound,
              "available: none");
}

TEST(SelectManifest, PrefersExactMatchesOverEntriesWithoutPlatform) {
  ImageIndex index;
  Descriptor no_platform{std::string(kOciManifest), *parseDigest(digestOf('a')), 1, {}, {}, {}};
  Descriptor attestation = no_platform;
  attestation.digest = *parseDigest(digestOf('b'));
  attestation.platform = Platform{"unknown", "unknown", "", "", {}};
  Descriptor nested = no_platform;
  nested.media_type = kOciIndex;
  nested.platform = platform("linux/amd64");
  Descriptor amd64 = no_platform;
  amd64.digest = *parseDigest(digestOf('c'));
  amd64.platform = platform("linux/amd64");
  index.manifests = {nested, attestation, no_platform};
  EXPECT_EQ(selectManifest(index, platform("linux/amd64"))->digest, no_platform.digest);
  index.manifests.push_back(amd64);
  EXPECT_EQ(selectManifest(index, platform("linux/amd64"))->digest, amd64.digest);
}

}  // namespace
}  // namespace cocoon::image::oci
