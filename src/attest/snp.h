// SPDX-License-Identifier: Apache-2.0
// The AMD SEV-SNP attester: an extended attestation report at a chosen VMPL, from
// configfs-tsm or /dev/sev-guest, as CoCo's snp evidence JSON.
//
// Trust: the report comes from the PSP through the guest kernel and the certificates from
// the host; neither is interpreted here beyond framing: the KBS verifies the signature.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "attest/environment.h"
#include "attest/kbs_client/kbs_client.h"

namespace cocoon::attest {

struct SnpAttesterConfig {
  TeeEnvironment env;
  // nullopt: configfs-tsm when its provider is sev_guest, else /dev/sev-guest.
  std::optional<TeeInterface> via;
  std::uint32_t vmpl = 0;  // the VMPL the report is requested for (CoCo: 0)
};

// Evidence (the `snp` TEE, as guest-components' snp attester sends it):
//   {"attestation_report": <the report in the `sev` crate's serde form>,
//    "cert_chain": [{"cert_type": "VCEK"|"VLEK"|"ASK"|"ARK"|"CRL"|{"OTHER": uuid},
//                    "data": [DER bytes as numbers]}] or null}
// report_data longer than 64 bytes is refused (kInvalidArgument), shorter is zero-padded.
// evidence() errors: kUnavailable when the device or the firmware refuses, kAborted when
// a concurrent configfs-tsm writer was detected, and those of snpEvidenceJson.
// Thread-safe: every call uses its own configfs entry or device descriptor.
//
// Errors of creation: kInvalidArgument for a vmpl above 3 or an interface that is not
// configfs-tsm or the device; kNotFound when neither interface exists (paths named).
Result<std::unique_ptr<Attester>> createSnpAttester(const SnpAttesterConfig& config);

// The evidence JSON of a raw 1184-byte report and, if present, a GHCB certificate table
// (configfs-tsm's auxblob, or the extended report's certs buffer). An absent or empty
// table gives "cert_chain": null. Errors: those of snp::reportToJson and
// snp::parseCertTable (attest/snp/report.h).
Result<json::Json> snpEvidenceJson(ByteSpan report, std::optional<ByteSpan> cert_table);

}  // namespace cocoon::attest
