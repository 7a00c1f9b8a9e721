// SPDX-License-Identifier: Apache-2.0
// errno to Code mapping.
#include "common/sys_error.h"

#include <cerrno>
#include <system_error>

namespace cocoon {

Code codeFromErrno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Code::kNotFound;
    case EACCES:
    case EPERM:
    case EROFS:
      return Code::kPermissionDenied;
    case EEXIST:
      return Code::kAlreadyExists;
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EFBIG:
      return Code::kResourceExhausted;
    case EINVAL:
    case ENAMETOOLONG:
    case ELOOP:
    case EISDIR:
      return Code::kInvalidArgument;
    case EAGAIN:
    case EBUSY:
    case EINTR:
      return Code::kUnavailable;
    case ETIMEDOUT:
      return Code::kDeadlineExceeded;
    default:
      return Code::kInternal;
  }
}

Error errnoError(int err, std::string what) {
  // std::generic_category().message() is thread-safe, unlike strerror().
  return Error(codeFromErrno(err), what + ": " + std::generic_category().message(err));
}

}  // namespace cocoon
