// SPDX-License-Identifier: Apache-2.0
// The guest side of init-data (runtime/tee/initdata.h, PROTOCOLS.md §4): finds the owner's
// launch configuration (the read-only disk with serial "initdata", or a file), checks it
// against the digest the host bound on the kernel command line, and turns it into the
// agent's policy and [kbc]/[image] settings. A document that is present but unusable makes
// the agent deny every request (fail closed) instead of running on the image's defaults.
// Trust: the disk and the command line are the host's, hostile until the TEE's evidence
// binds the digest; the document is parsed strictly and only its digest-checked bytes are
// used.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "agent/config.h"
#include "agent/policy/agent_policy.h"
#include "attest/attester.h"
#include "common/bytes.h"
#include "common/result.h"
#include "runtime/tee/initdata.h"

namespace cocoon::agent {

// The virtio-blk serial of the init-data disk (runtime/vm).
inline constexpr std::string_view kInitDataSerial = "initdata";
// The largest file or disk read: header, the compressed cap and one sector of padding.
inline constexpr std::size_t kMaxInitDataImageBytes = runtime::tee::kInitDataHeaderSize +
                                                      runtime::tee::kMaxInitDataCompressedBytes +
                                                      runtime::tee::kInitDataSectorSize;

// A decoded, parsed document.
struct GuestInitData {
  std::string toml;                     // the exact bytes hashed
  runtime::tee::InitData document;      // its content
  runtime::tee::InitDataDigest digest;  // of `toml` with document.algorithm
};

// The /dev path of the block device whose `<sys_block>/<name>/serial` reads "initdata"
// (trailing whitespace ignored), nullopt when there is none (no init-data). Entries whose
// serial cannot be read are skipped. Errors: kInternal when sys_block cannot be listed.
Result<std::optional<std::filesystem::path>> findInitDataDisk(
    const std::filesystem::path& sys_block = "/sys/block",
    const std::filesystem::path& dev = "/dev");

// Decodes and parses a block image (starts with "initdata") or, otherwise, a TOML document,
// strictly. Errors: those of decodeInitDataBlock and parseInitDataToml, prefixed "block
// image: " or "TOML: " (kInvalidArgument; kResourceExhausted over the caps).
Result<GuestInitData> decodeGuestInitData(ByteSpan bytes);

// The digest bound on the kernel command line (cocoon.initdata=<alg>:<hex>, as
// runtime/tee/backend.cc writes it), nullopt when the parameter is absent.
// Errors: kInvalidArgument for a malformed value or a repeated parameter.
Result<std::optional<runtime::tee::InitDataDigest>> kernelInitDataDigest(std::string_view cmdline);

// Checks that `init_data` can take effect: its digest equals `expected` when given, and it
// carries no policy.rego (cocoon does not evaluate Rego, so that owner's policy could not
// be enforced). Errors: kPermissionDenied "init-data digest <alg>:<hex> does not match the
// kernel command line's <alg>:<hex>"; kPermissionDenied naming policy.rego.
Status checkGuestInitData(const GuestInitData& init_data,
                          const std::optional<runtime::tee::InitDataDigest>& expected);

// Copies cdh.toml's [kbc] and [image] settings (url, kbs_cert, image_security_policy_uri,
// authenticated_registry_credentials_uri) and, when cdh.toml names no KBS, aa.toml's
// [token_configs.kbs] url/cert, over `config`. Keys of those files that cocoon does not use
// are ignored (they are guest-components' and stay in the digest). Errors:
// kInvalidArgument naming the file, line and key for TOML syntax errors or mistyped values.
Status applyGuestInitData(const GuestInitData& init_data, AgentConfig& config);

// How a valid document is bound into the TEE's measurement in the guest. Only a TPM needs
// the guest to do it (PCR 8); SNP and TDX bind it at launch (HOST_DATA, MRCONFIGID) and the
// sample TEE binds nothing.
struct InitDataBinding {
  // The TEE the data hub will attest with ([kbc] tee, as init-data's cdh.toml leaves it):
  // "auto" detects it in `env` (attest::detectTee); "tpm" binds; others bind nothing.
  std::string tee = "auto";
  attest::TeeEnvironment env;
  // The TPM the attester quotes (its TCTI).
  attest::TpmAttesterConfig tpm;
};

// Binds `init_data` for `binding`'s TEE: with a TPM, extends SHA-256 PCR 8 with the digest
// (TpmAttester::bindInitData; idempotent within a boot), so that the KBS's tpm verifier
// accepts the document sent with the evidence. Nothing to do for other TEEs or when no TEE
// is detected (then no evidence can be produced either). Errors: kFailedPrecondition when
// the TEE is a TPM and the document's algorithm is not sha256 (only a SHA-256 digest binds
// to the SHA-256 bank), or PCR 8 holds another value; kUnavailable when the TPM cannot be
// reached or refuses; detectTee's errors other than kNotFound.
Status bindGuestInitData(const GuestInitData& init_data, const InitDataBinding& binding);

// Where the agent looks for init-data at start.
struct InitDataSources {
  // --init-data FILE: a block image or TOML document (process mode and tests).
  std::optional<std::filesystem::path> file;
  // Search <sys_block>/*/serial for the disk (PID 1 mode).
  bool search_disks = false;
  std::filesystem::path sys_block = "/sys/block";
  std::filesystem::path dev = "/dev";
  // The kernel command line holding cocoon.initdata=; empty path: not checked.
  std::filesystem::path cmdline = "/proc/cmdline";
  // Set: a valid document is bound with bindGuestInitData before it takes effect (PID 1
  // mode, where the TEE is the guest's own); its `tee` is replaced by the [kbc] tee in
  // effect once the document is applied. Unset: not bound (process mode and tests, which
  // must not extend a host's TPM).
  std::optional<InitDataBinding> binding;
};

// What loadGuestInitData found.
struct InitDataOutcome {
  // A valid document (digest checked): apply it.
  std::optional<GuestInitData> init_data;
  // Init-data was present (or bound on the command line) but cannot take effect: the
  // agent must deny every request with this reason. Unset when all is well.
  std::optional<std::string> refusal;
  // The agent policy of policy.json (parsed), when the valid document carries one.
  std::optional<policy::AgentPolicy> policy;
};

// Finds, reads, decodes, digest-checks and applies (to `config`) the init-data of
// `sources`, compiles its policy.json and binds it (sources.binding). Never fails: a
// problem (an unreadable, malformed or mismatched document, policy.rego, a bad
// cdh.toml/aa.toml or policy.json, a failed binding) becomes `refusal` ("init-data
// <where>: <what>") and leaves `config` unchanged. A
// command line that binds a digest while no init-data is found is a refusal too (the
// owner's configuration was withheld).
InitDataOutcome loadGuestInitData(const InitDataSources& sources, AgentConfig& config);

}  // namespace cocoon::agent
