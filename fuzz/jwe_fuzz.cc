// SPDX-License-Identifier: Apache-2.0
// Fuzzes JWE parsing and decryption, compact and JSON, with fixed keys (an RSA key, the
// RFC 7518 Appendix C P-256 key, an A128KW key) and the KBS response profile: nothing may
// crash or leak, whatever the headers, epk or sizes.
#include <cstdint>
#include <string_view>

#include "crypto/jose/jwe.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/kbs_jwe.h"

namespace {

using cocoon::jose::JweKey;

// RFC 7516 A.1's RSA key and RFC 7518 Appendix C's "Bob" key.
constexpr std::string_view kRsa =
    R"({"kty":"RSA","n":"oahUIoWw0K0usKNuOR6H4wkf4oBUXHTxRvgb48E-BVvxkeDNjbC4he8rUWcJoZmds2h7M70i)"
    R"(mEVhRU5djINXtqllXI4DFqcI1DgjT9LewND8MW2Krf3Spsk_ZkoFnilakGygTwpZ3uesH-PFABNIUYpOiN15dsQRk)"
    R"(gr0vEhxN92i2asbOenSZeyaxziK72UwxrrKoExv6kc5twXTq4h-QChLOln0_mtUZwfsRaMStPs6mS6XrgxnxbWhoj)"
    R"(f663tuEQueGC-FCMfra36C9knDFGzKsNa7LZK2djYgyD3JR_MB_4NUJW_TqOQtwHYbxevoJArm-L5StowjzGy-_bq)"
    R"(6Gw","e":"AQAB","d":"kLdtIj6GbDks_ApCSTYQtelcNttlKiOyPzMrXHeI-yk1F7-kpDxY4-WY5NWV5KntaEe)"
    R"(XS1j82E375xxhWMHXyvjYecPT9fpwR_M9gV8n9Hrh2anTpTD93Dt62ypW3yDsJzBnTnrYu1iwWRgBKrEYY46qAZIr)"
    R"(A2xAwnm2X7uGR1hghkqDp0Vqj3kbSCz1XyfCs6_LehBwtxHIyh8Ripy40p24moOAbgxVw3rxT_vlt3UVe4WO3JkJO)"
    R"(zlpUf-KTVI2Ptgm-dARxTEtE-id-4OJr0h-K-VFs3VSndVTIznSxfyrj8ILL6MG_Uv8YAu7VILSB3lOW085-4qE3D)"
    R"(zgrTjgyQ","p":"1r52Xk46c-LsfB5P442p7atdPUrxQSy4mti_tZI3Mgf2EuFVbUoDBvaRQ-SWxkbkmoEzL7JXro)"
    R"(SBjSrK3YIQgYdMgyAEPTPjXv_hI2_1eTSPVZfzL0lffNn03IXqWF5MDFuoUYE0hzb2vhrlN_rKrbfDIwUbTrjjgie)"
    R"(RbwC6Cl0","q":"wLb35x7hmQWZsWJmB_vle87ihgZ19S8lBEROLIsZG4ayZVe9Hi9gDVCOBmUDdaDYVTSNx_8Fyw)"
    R"(1YYa9XGrGnDew00J28cRUoeBB_jKI1oma0Orv1T9aXIWxKwd4gvxFImOWr3QRL9KEBRzk2RatUBnmDZJTIAfwTs0g)"
    R"(68UZHvtc","dp":"ZK-YwE7diUh0qR1tR7w8WHtolDx3MZ_OTowiFvgfeQ3SiresXjm9gZ5KLhMXvo-uz-KUJWDxS)"
    R"(5pFQ_M0evdo1dKiRTjVw_x4NyqyXPM5nULPkcpU827rnpZzAJKpdhWAgqrXGKAECQH0Xt4taznjnd_zVpAmZZq60W)"
    R"(PMBMfKcuE","dq":"Dq0gfgJ1DdFGXiLvQEZnuKEN0UUmsJBxkjydc3j4ZYdBiMRAy86x0vHCjywcMlYYg4yoC4YZ)"
    R"(a9hNVcsjqA3FeiL19rk8g6Qn29Tt0cj8qqyFpz9vNDBUfCAiJVeESOjJDZPYHdHY8v1b-o-Z2X5tvLx-TCekf7oxy)"
    R"(eKDUqKWjis","qi":"VIMpMYbPf47dT1w_zDUXfPimsSegnMOA1zTaX7aGk_8urY6R8-ZW1FxU7AlWAyLWybqq6t1)"
    R"(6VFd7hQd0y6flUK4SlOydB61gwanOsXGOAOv82cHq0E3eL4HrtZkUuKvnPrMnsUUFlfUdybVzxyjz9JF_XyaY14ar)"
    R"(dLSjf4L_FNY"})";
constexpr std::string_view kEc =
    R"({"kty":"EC","crv":"P-256","x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",)"
    R"("y":"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck",)"
    R"("d":"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"})";

struct Keys {
  cocoon::crypto::Key rsa;
  cocoon::crypto::Key ec;
  JweKey aes;  // RFC 7516 A.3's A128KW key
};

const Keys& keys() {
  static const Keys k{
      cocoon::jose::parseJwk(kRsa).value().key, cocoon::jose::parseJwk(kEc).value().key,
      JweKey::symmetric(
          cocoon::SecretBytes(cocoon::Bytes{0x19, 0xac, 0x20, 0x82, 0xe1, 0x72, 0x1a, 0xb5, 0x8a,
                                            0x6a, 0xfe, 0xc0, 0x5f, 0x85, 0x4a, 0x52}))};
  return k;
}

void decryptWithEveryKey(const cocoon::jose::ParsedJwe& jwe) {
  (void)cocoon::jose::decryptJwe(jwe, JweKey(keys().rsa));
  (void)cocoon::jose::decryptJwe(jwe, JweKey(keys().ec));
  (void)cocoon::jose::decryptJwe(jwe, keys().aes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto compact = cocoon::jose::parseJweCompact(text)) {
    decryptWithEveryKey(*compact);
  }
  if (auto json = cocoon::jose::parseJweJson(text)) {
    decryptWithEveryKey(*json);
    (void)cocoon::jose::decryptKbsResponse(keys().ec, text);
  }
  return 0;
}
