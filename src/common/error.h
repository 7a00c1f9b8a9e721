// SPDX-License-Identifier: Apache-2.0
// Error: the one error value carried by Result<T> across the project (STYLE.md §4).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace cocoon {

// The canonical gRPC status codes, with their numeric values, so errors map 1:1 onto
// ttrpc/gRPC statuses at an RPC boundary. Choose as absl/status/status.h explains:
// InvalidArgument for bad input whatever the state, FailedPrecondition when the system
// is not in the state the call needs, Unavailable when a retry may succeed.
enum class Code : std::uint8_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// The gRPC name of a code, e.g. "INVALID_ARGUMENT".
std::string_view codeName(Code code);

// An error: a code, the innermost message, and the context that callers added on the
// way up (outermost first when printed). Cheap to move; never holds secrets (STYLE §4.4).
struct Error {
  Code code = Code::kUnknown;
  std::string message;
  // Context added by callers, innermost first (the order in which it was added).
  std::vector<std::string> context;

  Error() = default;
  Error(Code c, std::string msg) : code(c), message(std::move(msg)) {}

  // Adds a layer of context ("reading manifest sha256:ab12…") and returns *this.
  Error& addContext(std::string what) &;
  Error&& addContext(std::string what) &&;

  // One line: "INVALID_ARGUMENT: outer: inner: message".
  std::string toString() const;
};

// Builds an Error with a fmt-formatted message.
template <typename... Args>
Error makeError(Code code, fmt::format_string<Args...> format, Args&&... args) {
  return Error(code, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace cocoon

template <>
struct fmt::formatter<cocoon::Error> : fmt::formatter<std::string> {
  auto format(const cocoon::Error& e, fmt::format_context& ctx) const {
    return fmt::formatter<std::string>::format(e.toString(), ctx);
  }
};
