// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or an Error (tl::expected until the project moves to C++23's
// std::expected; only this header changes then). STYLE.md §4.1.
#pragma once

#include <tl/expected.hpp>

#include "common/error.h"

namespace cocoon {

template <class T, class E = Error>
using Result = tl::expected<T, E>;

// A Result that carries no value: success or an Error.
using Status = Result<void>;

template <class E>
using unexpected = tl::unexpected<E>;

// Success of a Status.
inline Status okStatus() {
  return {};
}

// Shorthand for `return cocoon::fail(Code::kX, "fmt {}", v);` in functions returning
// any Result<T>.
template <typename... Args>
tl::unexpected<Error> fail(Code code, fmt::format_string<Args...> format, Args&&... args) {
  return tl::unexpected<Error>(makeError(code, format, std::forward<Args>(args)...));
}

inline tl::unexpected<Error> fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

// Adds context to the error of a failed Result, leaves a success untouched.
template <class T>
Result<T> withContext(Result<T> result, std::string what) {
  if (!result) {
    result.error().addContext(std::move(what));
  }
  return result;
}

}  // namespace cocoon

#define COCOON_CONCAT_INNER_(a, b) a##b
#define COCOON_CONCAT_(a, b) COCOON_CONCAT_INNER_(a, b)

// COCOON_TRY(expr): evaluates a Result-returning expression and returns its error, if any.
#define COCOON_TRY(expr)                                              \
  do {                                                                \
    auto&& cocoon_try_result_ = (expr);                               \
    if (!cocoon_try_result_) {                                        \
      return ::tl::unexpected(std::move(cocoon_try_result_).error()); \
    }                                                                 \
  } while (false)

// COCOON_ASSIGN_OR_RETURN(decl, expr): `decl = std::move(*expr)` or returns its error.
#define COCOON_ASSIGN_OR_RETURN(decl, expr) \
  COCOON_ASSIGN_OR_RETURN_IMPL_(COCOON_CONCAT_(cocoon_aor_, __LINE__), decl, expr)
#define COCOON_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                   \
  if (!tmp) {                                          \
    return ::tl::unexpected(std::move(tmp).error());   \
  }                                                    \
  decl = std::move(*tmp)
