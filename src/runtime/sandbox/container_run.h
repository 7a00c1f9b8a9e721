// SPDX-License-Identifier: Apache-2.0
// One container through a sandbox's agent, start to finish: guest pull + create, start,
// output relayed, wait, remove — the core of `cocoon sandbox run` and of the benches when
// containerd is not involved.
// Trust: the agent's answers are the guest's; output bytes are handed on unchanged.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ttrpc/address.h"

namespace cocoon::runtime::sandbox {

struct ContainerRun {
  // Pulled by the agent in the guest (image_guest_pull storage, as Kata's runtime asks).
  std::string image;
  // Command and arguments; empty: the image's.
  std::vector<std::string> command;
  // 1..64 of [A-Za-z0-9_.-]; empty: "run-<random hex>".
  std::string container_id;
  // For CreateContainer (which includes the pull) and for the other calls.
  std::chrono::milliseconds create_timeout{std::chrono::minutes(20)};
  std::chrono::milliseconds call_timeout{std::chrono::minutes(1)};
  // Called with each chunk of the container's output, from relay threads (one per
  // stream); null: the stream is not read.
  std::function<void(std::string_view)> on_stdout;
  std::function<void(std::string_view)> on_stderr;
};

// Durations since runContainer began.
struct ContainerRunTimeline {
  std::chrono::milliseconds created{};  // pull + CreateContainer answered
  std::chrono::milliseconds started{};  // StartContainer answered
  std::chrono::milliseconds exited{};   // WaitProcess answered
};

struct ContainerRunResult {
  // The container's exit status as WaitProcess reports it (128+N for signal N).
  int exit_status = 0;
  ContainerRunTimeline timeline;
};

// Runs `run` through the agent at `agent`: CreateContainer, StartContainer, ReadStdout and
// ReadStderr until end of file, WaitProcess, RemoveContainer (also after a failed start).
// Output reads the agent policy denies end quietly (the container still runs).
// Errors: kUnavailable when the agent cannot be reached; the agent's status of the failing
// call (e.g. kPermissionDenied from its policy, kNotFound for an image), prefixed with the
// call's name; kDeadlineExceeded when a call exceeds its timeout.
Result<ContainerRunResult> runContainer(const ttrpc::Address& agent, const ContainerRun& run);

// Tells the agent the sandbox ends (DestroySandbox): it removes its containers and exits;
// in a VM it resets the guest, which ends QEMU (-no-reboot), so Sandbox::stop finds QEMU
// gone instead of waiting out its grace period. Errors: kUnavailable when the agent cannot be
// reached; the agent's status; kDeadlineExceeded after `timeout`.
Status destroySandbox(const ttrpc::Address& agent, std::chrono::milliseconds timeout);

}  // namespace cocoon::runtime::sandbox
