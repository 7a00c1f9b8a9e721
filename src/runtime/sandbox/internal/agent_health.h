// SPDX-License-Identifier: Apache-2.0
// Waiting for a starting agent: connect to its ttrpc address and ask grpc.Health/Check
// until it answers SERVING, while the thing that runs it is still alive.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "ttrpc/address.h"

namespace cocoon::runtime::sandbox::internal {

// Says why the agent can no longer come up (its process or VM exited), or nullopt.
using AliveCheck = std::function<std::optional<std::string>()>;

// Connects to `address` and calls grpc.Health/Check until the answer is SERVING. Refused
// connections and unanswered calls are retried (the agent may open its socket or port a
// moment before it serves) with a short backoff, until `deadline`.
// Errors: kDeadlineExceeded with the last failure when the deadline passes; kUnavailable
// with the reason when `alive` reports the agent gone.
Status waitAgentServing(const ttrpc::Address& address,
                        std::chrono::steady_clock::time_point deadline, const AliveCheck& alive);

// The last `max_bytes` bytes of `path` (from a line start where one is near), or "".
std::string fileTail(const std::filesystem::path& path, std::size_t max_bytes = 4096);

}  // namespace cocoon::runtime::sandbox::internal
