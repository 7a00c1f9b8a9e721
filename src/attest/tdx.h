// SPDX-License-Identifier: Apache-2.0
// The Intel TDX attester: a TD quote over the report data, from configfs-tsm or from
// /dev/tdx_guest (TDREPORT) plus the host's Quote Generation Service on vsock, with the
// CC event log, as CoCo's tdx evidence JSON.
//
// Trust: the quote is made by the host's quoting enclave and verified by the KBS; the
// QGS answer and the CCEL are host-controlled bytes, parsed with bounds checks only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "attest/environment.h"
#include "attest/kbs_client/kbs_client.h"

namespace cocoon::attest {

struct TdxAttesterConfig {
  TeeEnvironment env;
  // nullopt: configfs-tsm when its provider is tdx_guest, else /dev/tdx_guest + QGS.
  std::optional<TeeInterface> via;
  // The QGS address (QEMU's quote-generation-socket default: the host, port 4050).
  std::uint32_t qgs_cid = 2;
  std::uint32_t qgs_port = 4050;
  std::chrono::milliseconds qgs_timeout{30'000};  // connect + request + answer
};

// Evidence (the `tdx` TEE, as guest-components' tdx attester sends it):
//   {"cc_eventlog": base64 of the trimmed CCEL (attest/tdx/messages.h) or null when
//    env.ccelTable() is missing or unreadable, "quote": base64 of the quote}
// report_data longer than 64 bytes is refused (kInvalidArgument), shorter is zero-padded.
// evidence() errors: kUnavailable when the device, the TDX module or the QGS refuse (the
// QGS error code named), kDeadlineExceeded when the QGS does not answer in time, kAborted
// for a concurrent configfs-tsm writer, and the parse errors of attest/tdx/messages.h.
// Thread-safe: every call uses its own configfs entry, descriptor and connection.
//
// Errors of creation: kInvalidArgument for an interface that is not configfs-tsm or the
// device; kNotFound when neither exists (paths named).
Result<std::unique_ptr<Attester>> createTdxAttester(const TdxAttesterConfig& config);

// The evidence JSON of a quote and, if present, the raw CCEL table (trimmed here).
// Errors: those of tdx::trimCcel.
Result<json::Json> tdxEvidenceJson(ByteSpan quote, std::optional<ByteSpan> ccel);

}  // namespace cocoon::attest
