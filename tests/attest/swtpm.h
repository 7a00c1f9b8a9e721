// SPDX-License-Identifier: Apache-2.0
// A software TPM (swtpm) started and stopped by a test, on kernel-chosen loopback ports.
#pragma once

#include <sys/types.h>

#include <chrono>

#include <filesystem>
#include <memory>
#include <string>

#include "common/result.h"

namespace cocoon::attest::test {

// One swtpm process with its own state directory under the temp dir, on a kernel-chosen
// free port P and P + 1 (the control channel, where tpm2-tss's swtpm TCTI expects it).
// swtpm runs with --daemon, which returns only once both sockets listen, so no readiness
// wait is needed; if another process took a port in between, swtpm fails to bind and
// start() tries other ports. The destructor stops the daemon by its pid and removes the
// state directory.
class Swtpm {
 public:
  // kUnavailable when swtpm could not be started (its stderr is in the message).
  static Result<std::unique_ptr<Swtpm>> start();
  ~Swtpm();
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  // "swtpm:host=127.0.0.1,port=P".
  std::string tcti() const;

  // Writes to `path` the public key (PEM) of the AK that a TPM attester on this swtpm
  // quotes with, for a KBS's tpm.trusted_ak_keys. The AK is derived from the endorsement
  // seed, so every attester on this swtpm gets the same one. Errors: the attester's or
  // the file write's.
  Status writeAttesterAkPem(const std::filesystem::path& path) const;

 private:
  Swtpm(pid_t pid, int port, std::filesystem::path dir) : pid_(pid), port_(port), dir_(dir) {}
  pid_t pid_;
  int port_;
  std::filesystem::path dir_;
};

}  // namespace cocoon::attest::test
