// SPDX-License-Identifier: Apache-2.0
#include "kbs_protocol/binding.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "support/expect.h"

namespace cocoon::kbs_protocol {
namespace {

using crypto::DigestAlgorithm;
using json::Json;
using test::expectError;
using test::unhex;

constexpr std::string_view kNonce = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

// RFC 7515 A.3.1 P-256 public key, with the alg a guest advertises. Members deliberately
// out of order: the binding must canonicalize them.
const Json kJwk = *json::parseJson(
    R"({"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kty":"EC","crv":"P-256",)"
    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","alg":"ECDH-ES+A256KW"})");

// PROTOCOLS.md §1.3 JCS check vector: SHA-384 of the JCS form of {"b":1,"a":"test",
// "c":{"d":"e"}}, i.e. of {"a":"test","b":1,"c":{"d":"e"}}.
TEST(Binding, JcsCheckVector) {
  const Json object = *json::parseJson(R"({"b":1,"a":"test","c":{"d":"e"}})");
  const std::string canonical = json::canonicalize(object).value();
  EXPECT_EQ(canonical, R"({"a":"test","b":1,"c":{"d":"e"}})");
  EXPECT_EQ(hexEncode(crypto::sha384(asBytes(canonical))),
            "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c8"
            "13ca941da78870c3");
}

// Expected digests below were computed independently with `printf '%s' '<JCS text>' |
// openssl dgst -sha384` (and -sha512 / -sha256) over the hand-written canonical text
// {"nonce":"<kNonce>","tee-pubkey":{"alg":...,"crv":...,"kty":...,"x":...,"y":...}}.
TEST(Binding, RuntimeDataWithoutAdditionalEvidence) {
  test::expectValue(runtimeDataDigest(kNonce, kJwk, std::nullopt, DigestAlgorithm::kSha384),
                    unhex("19a630d21977b83b1c45bff1aa391bd83375a9e24f11c6915fba17d41519e1aa"
                          "78bece9d15bb779a5a68c86d7bc3e483"));
  test::expectValue(runtimeDataDigest(kNonce, kJwk, std::nullopt, DigestAlgorithm::kSha512),
                    unhex("03ffd44947953a55bff996edf2c548b7b3537365f12b57cfa9e69566ae8f14ea"
                          "a3466cc24c14501bad67e0b3e30984970bc02284a26319091575139eea96f21b"));
  test::expectValue(runtimeDataDigest(kNonce, kJwk, std::nullopt, DigestAlgorithm::kSha256),
                    unhex("087c7575820aba6dfcf342de605b895003ffeb7781526f1f9f0646e2771f7a2f"));
}

// {"additional-evidence":"","nonce":...,"tee-pubkey":...}: an empty string still binds.
TEST(Binding, RuntimeDataWithEmptyAdditionalEvidence) {
  test::expectValue(runtimeDataDigest(kNonce, kJwk, "", DigestAlgorithm::kSha384),
                    unhex("d4bd1841ef158d7c3904848b81d834cafb2fb888d896151632a2aa5e8c258da2"
                          "0f8ba11735fc30d095f10ed26e055e09"));
}

// {"additional-evidence":"{\"nvidia\":[1]}",...}: the JSON text is hashed as an escaped
// string, not as a nested object.
TEST(Binding, RuntimeDataWithAdditionalEvidence) {
  test::expectValue(runtimeDataDigest(kNonce, kJwk, R"({"nvidia":[1]})", DigestAlgorithm::kSha384),
                    unhex("2c846c3687f7152acaa442287994574408555d20cd1ddd15510699fbec53ac37"
                          "ceb871f8ab4719d5a272a071a5e13ba1"));
}

TEST(Binding, RuntimeDataRefusesSha1AndUncanonicalizableKeys) {
  expectError(runtimeDataDigest(kNonce, kJwk, std::nullopt, DigestAlgorithm::kSha1),
              Code::kInvalidArgument, "sha1");
  Json bad = kJwk;
  bad["x"] = std::numeric_limits<double>::infinity();  // no JCS form
  expectError(runtimeDataDigest(kNonce, bad, std::nullopt, DigestAlgorithm::kSha384),
              Code::kInvalidArgument);
}

TEST(Binding, PadReportDataZeroPads) {
  const Bytes digest = unhex("0102");
  test::expectValue(padReportData(digest, 4), unhex("01020000"));
  test::expectValue(padReportData(digest, 2), digest);
  const Bytes sha384 = crypto::sha384(asBytes("x"));
  auto padded = padReportData(sha384, 64);
  ASSERT_TRUE(padded);
  EXPECT_EQ(Bytes(padded->begin(), padded->begin() + 48), sha384);
  EXPECT_EQ(Bytes(padded->begin() + 48, padded->end()), Bytes(16, 0));
}

TEST(Binding, PadReportDataRefusesLongerDigest) {
  expectError(padReportData(crypto::sha512(asBytes("x")), 48), Code::kInvalidArgument,
              "digest of 64 bytes does not fit a 48-byte field");
}

// Init-data text and digests from `printf 'algorithm = "sha384"\nversion = "0.1.0"\n' |
// openssl dgst -sha256|-sha384|-sha512`.
constexpr std::string_view kInitData = "algorithm = \"sha384\"\nversion = \"0.1.0\"\n";

TEST(Binding, InitDataDigestPadsToTheField) {
  const Bytes sha256 = unhex("f2c55290ae5061a99232657f296cdc5d1e742b98459a0a18dc97d141bd57dd39");
  test::expectValue(initDataDigest(kInitData, DigestAlgorithm::kSha256, 32), sha256);
  Bytes padded = sha256;
  padded.resize(48, 0);
  test::expectValue(initDataDigest(kInitData, DigestAlgorithm::kSha256, 48), padded);
  test::expectValue(initDataDigest(kInitData, DigestAlgorithm::kSha384, 48),
                    unhex("da282f3d4977983ee2f73160036bb8ca1acfef7ee417d26eb50cbcc7fe484af2"
                          "0cb0ee8379548938d6fd80ce9a09a897"));
}

TEST(Binding, InitDataDigestTruncatesToTheField) {
  test::expectValue(initDataDigest(kInitData, DigestAlgorithm::kSha512, 32),
                    unhex("5379f2fa7c52d89938f067226213165664787d7607b52fba5ea055a7f61ae717"));
  test::expectValue(initDataDigest(kInitData, DigestAlgorithm::kSha384, 32),
                    unhex("da282f3d4977983ee2f73160036bb8ca1acfef7ee417d26eb50cbcc7fe484af2"));
}

TEST(Binding, InitDataDigestRefusesSha1) {
  expectError(initDataDigest(kInitData, DigestAlgorithm::kSha1, 32), Code::kInvalidArgument,
              "sha1");
}

}  // namespace
}  // namespace cocoon::kbs_protocol
