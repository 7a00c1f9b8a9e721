// SPDX-License-Identifier: Apache-2.0
// The shim v2 process protocol: how containerd runs containerd-shim-cocoon-v2.
//   start   (cwd = bundle) starts, or finds, the shim server of the container's sandbox and
//           prints its ttrpc address ("unix:///run/cocoon/s/<hash>.sock") on stdout;
//   delete  cleans up after a shim that died (kills what its sandbox left running, removes
//           the run directory) and prints a DeleteResponse protobuf on stdout;
//   serve   (internal: what start runs) serves containerd.task.v2.Task until Shutdown.
// Flags as containerd passes them, Go style: -namespace NS -address ADDR
// -publish-binary BIN -id ID [-bundle DIR] [-debug] ACTION.
// Trust: containerd is the caller; the flags are still checked.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cocoon::runtime::shim {

// Where sandbox run directories and shim sockets live.
inline constexpr std::string_view kRunRoot = "/run/cocoon";

struct ShimFlags {
  std::string ns;              // -namespace
  std::string address;         // -address: containerd's gRPC socket
  std::string publish_binary;  // -publish-binary (unused: events go over TTRPC_ADDRESS)
  std::string id;              // -id
  std::string bundle;          // -bundle; default: the working directory
  std::string socket;          // -socket (serve only): the socket start chose
  bool debug = false;          // -debug
  std::string action;          // start | delete | serve | "" (with help/version)
  bool help = false;
  bool version = false;
};

// Parses argv[1..]. Each flag takes "-name value", "-name=value", "--name value" or
// "--name=value" (as Go's flag package does); the action is the first word that is not a
// flag. Errors (kInvalidArgument, naming the argument): an unknown flag, a flag without
// its value, an unknown or missing action, a second action, a missing -id for start/delete
// or -socket for serve.
Result<ShimFlags> parseShimFlags(const std::vector<std::string>& args);

// The socket of the shim serving `sandbox_id`: <kRunRoot>/s/<first 32 hex digits of
// SHA-256(containerd address, namespace, sandbox id)>.sock, so that every container of one
// pod finds the same shim and two containerds on one host do not collide.
std::filesystem::path shimSocketPath(std::string_view containerd_address, std::string_view ns,
                                     std::string_view sandbox_id);

// The actions; each returns the process exit status (0 success, 1 failure with the reason
// on stderr). `self` is the shim binary (for start to run `serve`).
int runStart(const ShimFlags& flags, const std::filesystem::path& self);
int runDelete(const ShimFlags& flags);
int runServe(const ShimFlags& flags, const std::filesystem::path& self);

// The usage text of --help.
std::string shimUsage();

}  // namespace cocoon::runtime::shim
