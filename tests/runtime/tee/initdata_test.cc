// SPDX-License-Identifier: Apache-2.0
#include "runtime/tee/initdata.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "runtime/tee/initdata/gzip.h"
#include "support/expect.h"

namespace cocoon::runtime::tee {
namespace {

using cocoon::test::expectError;
using cocoon::test::unhex;

// The document buildInitData renders for kExample, byte for byte.
constexpr std::string_view kExampleToml =
    "version = \"0.1.0\"\nalgorithm = \"sha384\"\n\n[data]\n"
    "\"aa.toml\" = '''\n[token_configs.kbs]\nurl = \"https://kbs.example:8080\"\n'''\n"
    "\"cdh.toml\" = '''\nsocket = \"unix:///run/confidential-containers/cdh.sock\"\n\n[kbc]\n"
    "name = \"cc_kbc\"\nurl = \"https://kbs.example:8080\"\n'''\n"
    "\"policy.rego\" = '''\npackage agent_policy\n\ndefault AllowRequestsFailingPolicy := "
    "true\n'''\n";

// Digests of kExampleToml and its annotation computed independently with Python 3's
// hashlib and gzip.compress(data, mtime=0) + base64.b64encode.
constexpr std::string_view kExampleSha256 =
    "6c067889529c4f83e9dd27e6d262592353fc81ae778801fe5c5ae805f1c5fb38";
constexpr std::string_view kExampleSha384 =
    "c63ba46e0a7d698e47ddebf77f85257167e644099f1fbe14f2a903545c4a3c88dae75424c283e7c314bdea2512a0"
    "7086";
constexpr std::string_view kPythonAnnotation =
    "H4sIAAAAAAACA42OsW7EIBBEe74C0bgKOEoKy9IVaa6O0p4saw/vYQQGB5bk8vcBRynSpdhidufNzgembGPgJy56+"
    "Sh7wcCbmCytW9vlFZ6GZ8HYZQGCiQkASXHzoh67rmMXig7DrGO4WZOlu+aJleQbuhLteVSq7iTeYds9jkM/"
    "1A8NFHpZ/yTlqB1SA0uw98qpVII6ghcMZME/VEFgQ22sGt2I1sxd9cQCbNhgreeqxT9L7NFb/SUTmvjbYwftwCCvE2j+"
    "MTC24A2KJ/7iffx8w/eCmfIZrLfBvB4ePp44pYJH8Dfw/Ut0VgEAAA==";

InitData example() {
  InitData d;
  d.algorithm = crypto::DigestAlgorithm::kSha384;
  d.data["aa.toml"] = "[token_configs.kbs]\nurl = \"https://kbs.example:8080\"\n";
  d.data["cdh.toml"] =
      "socket = \"unix:///run/confidential-containers/cdh.sock\"\n\n[kbc]\nname = \"cc_kbc\"\n"
      "url = \"https://kbs.example:8080\"\n";
  d.data["policy.rego"] = "package agent_policy\n\ndefault AllowRequestsFailingPolicy := true\n";
  return d;
}

TEST(InitData, RendersKataDocumentWithKnownDigest) {
  auto bundle = buildInitData(example());
  ASSERT_TRUE(bundle) << bundle.error().toString();
  EXPECT_EQ(bundle->toml, kExampleToml);
  EXPECT_EQ(bundle->digest.algorithm, crypto::DigestAlgorithm::kSha384);
  EXPECT_EQ(hexEncode(bundle->digest.value), kExampleSha384);
  EXPECT_EQ(hexEncode(initDataDigest(crypto::DigestAlgorithm::kSha256, kExampleToml).value),
            kExampleSha256);
}

TEST(InitData, AnnotationAndBlockRoundTrip) {
  auto bundle = buildInitData(example());
  ASSERT_TRUE(bundle) << bundle.error().toString();
  test::expectValue(decodeInitDataAnnotation(bundle->annotation), std::string(kExampleToml));
  test::expectValue(decodeInitDataBlock(bundle->block), std::string(kExampleToml));
  auto parsed = parseInitDataToml(kExampleToml);
  ASSERT_TRUE(parsed) << parsed.error().toString();
  EXPECT_EQ(*parsed, example());
}

TEST(InitData, DecodesAnnotationWrittenByPythonGzip) {
  test::expectValue(decodeInitDataAnnotation(kPythonAnnotation), std::string(kExampleToml));
}

TEST(InitData, BlockHasMagicLengthAndSectorPadding) {
  auto bundle = buildInitData(example());
  ASSERT_TRUE(bundle);
  const Bytes& block = bundle->block;
  ASSERT_EQ(block.size() % kInitDataSectorSize, 0U);
  EXPECT_EQ(toString(ByteSpan(block).first(8)), "initdata");
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) {
    length = length << 8 | block[8 + static_cast<std::size_t>(i)];
  }
  auto compressed = base64Decode(bundle->annotation);
  ASSERT_TRUE(compressed);
  EXPECT_EQ(length, compressed->size());
  EXPECT_EQ(Bytes(block.begin() + 16, block.begin() + 16 + static_cast<long>(length)), *compressed);
}

TEST(InitData, EscapesContentThatALiteralStringCannotHold) {
  InitData d;
  d.algorithm = crypto::DigestAlgorithm::kSha256;
  d.data["policy.rego"] = "a ''' b\r\n\"quoted\" \\ \x01 end'";
  d.data["we\"ird key"] = "";
  auto bundle = buildInitData(d);
  ASSERT_TRUE(bundle) << bundle.error().toString();
  auto parsed = parseInitDataToml(bundle->toml);
  ASSERT_TRUE(parsed) << parsed.error().toString();
  EXPECT_EQ(*parsed, d);
}

TEST(InitData, BuildRejectsSha1EmptyKeyAndInvalidUtf8) {
  InitData d = example();
  d.algorithm = crypto::DigestAlgorithm::kSha1;
  expectError(buildInitData(d), Code::kInvalidArgument, "algorithm sha1 is not allowed");
  d = example();
  d.data[""] = "x";
  expectError(buildInitData(d), Code::kInvalidArgument, "empty key");
  d = example();
  d.data["aa.toml"] = "\xff\xfe";
  expectError(buildInitData(d), Code::kInvalidArgument, "init-data:");
}

TEST(InitData, ParserRejectsUnknownKeysVersionsAndTypes) {
  expectError(parseInitDataToml("version = \"0.1.0\"\nalgorithm = \"sha256\"\nextra = 1\n"),
              Code::kInvalidArgument, "extra");
  expectError(parseInitDataToml("version = \"0.2.0\"\nalgorithm = \"sha256\"\n"),
              Code::kInvalidArgument, "init-data: version \"0.2.0\" is not \"0.1.0\"");
  expectError(parseInitDataToml("version = \"0.1.0\"\nalgorithm = \"md5\"\n"),
              Code::kInvalidArgument,
              "init-data: algorithm \"md5\" is not one of sha256, sha384, sha512");
  expectError(parseInitDataToml("version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\nx = 3\n"),
              Code::kInvalidArgument, "init-data:4:5: [data] \"x\": expected string");
  expectError(parseInitDataToml("version = \"0.1.0\"\nalgorithm = \"sha256\"\ndata = 5\n"),
              Code::kInvalidArgument, "data");
}

TEST(InitData, ParserCapsEntries) {
  std::string toml = "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n";
  for (std::size_t i = 0; i <= kMaxInitDataEntries; ++i) {
    toml += fmt::format("k{} = \"v\"\n", i);
  }
  expectError(parseInitDataToml(toml), Code::kInvalidArgument,
              "init-data: [data] has 65 entries, at most 64 allowed");
}

TEST(InitData, BlockRejectsEveryTruncationOfTheHeaderAndData) {
  auto bundle = buildInitData(example());
  ASSERT_TRUE(bundle);
  const std::size_t end = 16 + base64Decode(bundle->annotation)->size();
  for (std::size_t n = 0; n < end; ++n) {
    auto r = decodeInitDataBlock(ByteSpan(bundle->block).first(n));
    ASSERT_FALSE(r) << "accepted " << n << " bytes";
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << n;
  }
  test::expectValue(decodeInitDataBlock(ByteSpan(bundle->block).first(end)),
                    std::string(kExampleToml));
}

TEST(InitData, BlockRejectsBadMagicLengthAndPadding) {
  auto bundle = buildInitData(example());
  ASSERT_TRUE(bundle);
  Bytes bad = bundle->block;
  bad[0] = 'I';
  expectError(decodeInitDataBlock(bad), Code::kInvalidArgument,
              "magic at offset 0 is 496e697464617461, expected \"initdata\"");
  bad = bundle->block;
  bad[8] = static_cast<std::uint8_t>(bad[8] + 1);  // declared length +1: eats a padding zero
  expectError(decodeInitDataBlock(bad), Code::kInvalidArgument, "trailing bytes");
  bad = bundle->block;
  bad[15] = 0xff;  // maximum length
  expectError(decodeInitDataBlock(bad), Code::kResourceExhausted, "exceeds the cap");
  bad = bundle->block;
  for (int i = 8; i < 16; ++i) {
    bad[static_cast<std::size_t>(i)] = 0;
  }
  expectError(decodeInitDataBlock(bad), Code::kInvalidArgument, "declared length 0");
  bad = bundle->block;
  bad.back() = 1;
  expectError(decodeInitDataBlock(bad), Code::kInvalidArgument,
              fmt::format("non-zero byte 0x01 in the padding at offset {}", bad.size() - 1));
}

TEST(InitData, AnnotationRejectsBadBase64AndGzip) {
  expectError(decodeInitDataAnnotation("not base64!"), Code::kInvalidArgument);
  expectError(decodeInitDataAnnotation(base64Encode(asBytes("plain text"))), Code::kInvalidArgument,
              "not a gzip stream");
}

TEST(InitData, DecompressionIsCapped) {
  // 2 MiB of zeros compress to about 2 KiB but exceed the 1 MiB TOML cap.
  Bytes zeros(std::size_t{2} << 20, 'a');
  auto bundle_toml = std::string(zeros.begin(), zeros.end());
  expectError(encodeInitDataAnnotation(bundle_toml), Code::kResourceExhausted);
  // A hostile host's bomb: small on the wire, larger than the cap once inflated.
  auto bomb = initdata::gzipCompress(zeros);
  ASSERT_TRUE(bomb);
  expectError(decodeInitDataAnnotation(base64Encode(*bomb)), Code::kResourceExhausted,
              "gzip stream expands beyond 1048576 bytes");
}

TEST(InitData, BindingPadsShortDigestsAndCutsLongOnes) {
  const InitDataDigest sha256{crypto::DigestAlgorithm::kSha256, Bytes(32, 0xab)};
  Bytes expected(32, 0xab);
  expected.resize(48, 0);
  EXPECT_EQ(initDataBinding(sha256, 48), expected);
  Bytes sha384(48, 1);
  sha384[31] = 2;
  sha384[32] = 3;
  Bytes want(32, 1);
  want[31] = 2;
  EXPECT_EQ(initDataBinding({crypto::DigestAlgorithm::kSha384, sha384}, 32), want);
}

}  // namespace
}  // namespace cocoon::runtime::tee
