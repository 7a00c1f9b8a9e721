// SPDX-License-Identifier: Apache-2.0
// Turns a failed system call's errno into an Error with the matching canonical code.
#pragma once

#include <string>

#include "common/error.h"

namespace cocoon {

// The canonical code for an errno value: ENOENT/ENOTDIR -> kNotFound, EACCES/EPERM/EROFS
// -> kPermissionDenied, EEXIST -> kAlreadyExists, ENOSPC/EDQUOT/EMFILE/ENFILE/ENOMEM/EFBIG
// -> kResourceExhausted, EINVAL/ENAMETOOLONG/ELOOP/EISDIR -> kInvalidArgument,
// EAGAIN/EBUSY/EINTR -> kUnavailable, ETIMEDOUT -> kDeadlineExceeded, else kInternal.
Code codeFromErrno(int err);

// Error "<what>: <strerror(err)>" with codeFromErrno(err). `what` names the operation and
// the path, e.g. "renaming /etc/cocoon/a.tmp to /etc/cocoon/a".
Error errnoError(int err, std::string what);

}  // namespace cocoon
