// SPDX-License-Identifier: Apache-2.0
// `cocoon vtpm provision`: manufactures a swtpm state to use as the vtpm backend's
// [tee] swtpm_state_template and prints the AK the guest's TPM attester quotes with.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "attest/tpm.h"
#include "cmd/cocoon/command.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "crypto/key.h"

namespace cocoon::cli {
namespace {

namespace fs = std::filesystem;

// swtpm's permanent state (seeds, NV): what makes the TPM's identity.
constexpr char kStateFile[] = "tpm2-00.permall";

struct ProvisionOptions {
  std::string state;
  std::string ak_pem = "-";
  std::string swtpm = "/usr/bin/swtpm";
};

// A swtpm daemon on a unix socket in a private temp dir, stopped (SIGTERM, then SIGKILL
// after 5 s) when dropped; swtpm writes its permanent state as the TPM is manufactured.
class SwtpmDaemon {
 public:
  static Result<std::unique_ptr<SwtpmDaemon>> start(const std::string& swtpm,
                                                    const fs::path& state) {
    COCOON_ASSIGN_OR_RETURN(TempDir dir, TempDir::create("cocoon-vtpm"));
    const fs::path socket = dir.path() / "tpm.sock";
    const fs::path pid_file = dir.path() / "swtpm.pid";
    COCOON_ASSIGN_OR_RETURN(
        SubprocessResult run,
        runSubprocess({.argv = {swtpm, "socket", "--tpm2", "--tpmstate", "dir=" + state.string(),
                                "--server", "type=unixio,path=" + socket.string(), "--ctrl",
                                "type=unixio,path=" + socket.string() + ".ctrl", "--flags",
                                "not-need-init,startup-clear", "--daemon", "--pid",
                                "file=" + pid_file.string()},
                       .timeout = std::chrono::seconds(30)}));
    if (run.exit_code != 0) {
      return fail(Code::kUnavailable, "{} socket exited {}: {}", swtpm, run.exit_code,
                  run.stderr_data);
    }
    auto pid_text = readTextFile(pid_file, 64);
    const pid_t pid = pid_text ? static_cast<pid_t>(std::atoi(pid_text->c_str())) : 0;
    if (pid <= 0) {
      return fail(Code::kUnavailable, "{} started but wrote no pid file", swtpm);
    }
    return std::unique_ptr<SwtpmDaemon>(new SwtpmDaemon(std::move(dir), pid));
  }

  ~SwtpmDaemon() {
    // --daemon detached it: not our child, so poll for its exit.
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 500 && ::kill(pid_, 0) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
  }
  SwtpmDaemon(const SwtpmDaemon&) = delete;
  SwtpmDaemon& operator=(const SwtpmDaemon&) = delete;

  std::string tcti() const { return "swtpm:path=" + (dir_.path() / "tpm.sock").string(); }

 private:
  SwtpmDaemon(TempDir dir, pid_t pid) : dir_(std::move(dir)), pid_(pid) {}
  TempDir dir_;
  pid_t pid_;
};

// The AK (PEM) of the TPM whose state is in `state`, manufacturing it first when the
// directory holds none. The attester's defaults are the guest's: RSA 2048 AK, primary in
// the endorsement hierarchy, so derived from the endorsement seed in the state.
Result<std::string> provision(const ProvisionOptions& o, bool& created) {
  const fs::path state = o.state;
  std::error_code ec;
  created = !fs::exists(state / kStateFile, ec);
  COCOON_TRY(createDirectories(state));
  fs::permissions(state, fs::perms::owner_all, fs::perm_options::replace, ec);
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<SwtpmDaemon> swtpm, SwtpmDaemon::start(o.swtpm, state));
  attest::TpmAttesterConfig config;
  config.tcti = swtpm->tcti();
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<attest::TpmAttester> attester,
                          attest::createTpmAttester(config));
  COCOON_ASSIGN_OR_RETURN(crypto::Key ak, crypto::Key::fromPublicDer(attester->akPublicDer()));
  attester.reset();  // flushes the AK before swtpm stops
  swtpm.reset();
  if (!fs::exists(state / kStateFile, ec)) {
    return fail(Code::kInternal, "{} wrote no {} into {}", o.swtpm, kStateFile, state.string());
  }
  return ak.publicPem();
}

}  // namespace

void registerVtpmCommands(CLI::App& app, Action& action) {
  CLI::App* vtpm = app.add_subcommand(
      "vtpm", "The vtpm TEE's TPM identity (swtpm state templates, docs/guest.md)");
  vtpm->require_subcommand(1);
  auto o = std::make_shared<ProvisionOptions>();
  CLI::App* cmd = vtpm->add_subcommand(
      "provision",
      "Manufacture a swtpm state (kept when DIR already holds one) for [tee] "
      "swtpm_state_template and print the PEM of the AK the guest attests with, for the "
      "KBS's tpm.trusted_ak_keys");
  cmd->add_option("--state", o->state, "The state directory (created; keep it private)")
      ->required();
  cmd->add_option("--ak-pem", o->ak_pem, "Write the AK public key (PEM) here; - for stdout")
      ->capture_default_str();
  cmd->add_option("--swtpm", o->swtpm, "The swtpm binary")->capture_default_str();
  cmd->callback([o, &action] {
    action = [o]() -> int {
      bool created = false;
      auto pem = provision(*o, created);
      if (!pem) {
        return reportError(pem.error().addContext("vtpm provision --state " + o->state));
      }
      if (Status written = writeOutput(o->ak_pem, asBytes(*pem)); !written) {
        return reportError(written.error());
      }
      fmt::print(stderr, "cocoon: {} TPM state in {}\n", created ? "manufactured a" : "kept the",
                 o->state);
      return kExitOk;
    };
  });
}

}  // namespace cocoon::cli
