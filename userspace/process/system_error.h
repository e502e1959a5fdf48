// The error for a failed system call of the process room: errno `err` while doing `what`.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "symbols/result.h"

namespace goretain {

// kNotFound for ENOENT/ESRCH, kPermission for EPERM/EACCES, else kIo; "<what>: <strerror>".
inline Error SystemError(int err, const std::string& what) {
  ErrorCode code = ErrorCode::kIo;
  if (err == ENOENT || err == ESRCH) code = ErrorCode::kNotFound;
  if (err == EPERM || err == EACCES) code = ErrorCode::kPermission;
  return MakeError(code, fmt::format("{}: {}", what, std::strerror(err)));
}

}  // namespace goretain
