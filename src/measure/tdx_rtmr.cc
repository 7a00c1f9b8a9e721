// SPDX-License-Identifier: Apache-2.0
// RTMR1/RTMR2 events of OVMF and td-shim direct boot.
#include "measure/tdx_rtmr.h"

#include <algorithm>

#include "crypto/digest.h"
#include "measure/pe.h"

namespace cocoon::measure {
namespace {

Sha384 sha384Of(ByteSpan data) {
  Bytes d = crypto::digest(crypto::DigestAlgorithm::kSha384, data);
  Sha384 out{};
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

Sha384 sha384Of(std::string_view text) {
  return sha384Of(asBytes(text));
}

}  // namespace

Sha384 replayRtmr(std::span<const Sha384> digests) {
  Sha384 rtmr{};
  for (const Sha384& d : digests) {
    crypto::Hasher h(crypto::DigestAlgorithm::kSha384);
    h.update(rtmr);
    h.update(d);
    Bytes next = h.finish();
    std::copy(next.begin(), next.end(), rtmr.begin());
  }
  return rtmr;
}

Bytes ovmfLoadOptions(std::string_view cmdline, bool has_initrd) {
  if (cmdline.empty() && !has_initrd) {
    return {};
  }
  std::string text(cmdline);
  if (has_initrd) {
    text += " initrd=initrd";
  }
  Bytes out;
  out.reserve(2 * text.size() + 2);
  for (char c : text) {
    out.push_back(static_cast<std::uint8_t>(c));
    out.push_back(0);
  }
  out.push_back(0);
  out.push_back(0);
  return out;
}

Result<TdxRtmrEvents> ovmfDirectBootEvents(ByteSpan kernel, ByteSpan initrd,
                                           std::string_view cmdline) {
  auto pe = peAuthenticodeSha384(kernel);
  if (!pe) {
    return fail(pe.error().addContext("kernel"));
  }
  TdxRtmrEvents events;
  events.rtmr1 = {*pe, sha384Of(kCallingEfiApplication), sha384Of(kExitBootServicesInvocation),
                  sha384Of(kExitBootServicesReturned)};
  const Bytes load_options = ovmfLoadOptions(cmdline, !initrd.empty());
  if (!load_options.empty()) {
    events.rtmr2.push_back(sha384Of(ByteSpan(load_options)));
  }
  if (!initrd.empty()) {
    events.rtmr2.push_back(sha384Of(initrd));
  }
  return events;
}

Result<TdxRtmrEvents> tdShimEvents(const Sha384& payload_digest, std::string_view cmdline) {
  if (cmdline.size() > kTdShimPayloadInfoSize) {
    return fail(Code::kInvalidArgument,
                "td-shim command line of {} bytes exceeds its {}-byte payload parameter area",
                cmdline.size(), kTdShimPayloadInfoSize);
  }
  Bytes info(kTdShimPayloadInfoSize, 0);
  std::copy(cmdline.begin(), cmdline.end(), info.begin());
  const Bytes separator(4, 0);
  TdxRtmrEvents events;
  events.rtmr1 = {sha384Of(ByteSpan(separator)), payload_digest, sha384Of(ByteSpan(info))};
  return events;
}

}  // namespace cocoon::measure
