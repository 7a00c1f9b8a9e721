// SPDX-License-Identifier: Apache-2.0
// Hex, base64 (RFC 4648 §4) and base64url (§5, unpadded) with strict decoding.
// Trust: decoders take attacker-controlled text; they never accept a non-canonical form.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon {

// Lower-case hex.
std::string hexEncode(ByteSpan bytes);
// Accepts upper or lower case; fails with kInvalidArgument on an odd length or a non-hex
// character (the message names its offset).
Result<Bytes> hexDecode(std::string_view text);

// Standard alphabet with '=' padding.
std::string base64Encode(ByteSpan bytes);
// Strict: standard alphabet, padding required to a multiple of 4, no whitespace, and the
// unused bits of the last character must be zero (so each byte string has exactly one
// accepted encoding). Fails with kInvalidArgument naming the offending offset.
Result<Bytes> base64Decode(std::string_view text);

// URL-safe alphabet, no padding (JOSE, RFC 7515 §2).
std::string base64UrlEncode(ByteSpan bytes);
// Strict: URL-safe alphabet only, no '=' padding, no whitespace, a length that is not 1
// mod 4, and zero unused bits. Fails with kInvalidArgument.
Result<Bytes> base64UrlDecode(std::string_view text);

}  // namespace cocoon
