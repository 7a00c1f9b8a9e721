// SPDX-License-Identifier: Apache-2.0
// Fuzzes the KBS protocol parsers; the first byte picks the message kind (request,
// challenge, attestation, error, resource URI). Whatever parses must serialize, parse
// back and serialize to the same text again.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kbs_protocol/messages.h"
#include "kbs_protocol/resource_uri.h"

namespace {

using namespace cocoon::kbs_protocol;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// parse(serialize(parse(text))) must succeed and serialize to the same text.
template <class Parse, class Serialize>
void roundTrip(std::string_view text, Parse parse, Serialize serialize) {
  auto parsed = parse(text);
  if (!parsed) {
    return;
  }
  const std::string first = serialize(*parsed);
  auto again = parse(first);
  require(again.has_value());
  require(serialize(*again) == first);
}

void fuzzResourceUri(std::string_view text) {
  auto uri = parseResourceUri(text);
  if (!uri) {
    return;
  }
  auto again = parseResourceUri(formatResourceUri(*uri));
  require(again.has_value());
  require(again->plugin == uri->plugin && again->authority == uri->authority &&
          again->segments == uri->segments);
  require(resourcePath(*uri).rfind("/kbs/v0/" + uri->plugin + "/", 0) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      roundTrip(text, parseRequest, serializeRequest);
      break;
    case 1:
      roundTrip(text, parseChallenge, serializeChallenge);
      break;
    case 2:
      roundTrip(text, parseAttestation, [](const Attestation& attestation) {
        auto serialized = serializeAttestation(attestation);
        require(serialized.has_value());
        return *serialized;
      });
      break;
    case 3:
      roundTrip(text, parseErrorInfo, serializeErrorInfo);
      break;
    default:
      fuzzResourceUri(text);
      break;
  }
  return 0;
}
