#include "userspace/process/remote_memory.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace goretain {
namespace {

constexpr size_t kMaxIov = 1024;  // IOV_MAX

}  // namespace

Error RemoteReadError(pid_t pid, int err) {
  if (err == ESRCH) return MakeError(ErrorCode::kNotFound, "process " + std::to_string(pid) + " exited");
  if (err == EPERM || err == EACCES) {
    return MakeError(ErrorCode::kPermission,
                     "cannot read the memory of process " + std::to_string(pid) + ": " +
                         std::strerror(err));
  }
  return MakeError(ErrorCode::kIo, "reading the memory of process " + std::to_string(pid) + ": " +
                                       std::strerror(err));
}

Status ReadMany(pid_t pid, std::span<ReadOp> ops, ReadTally* tally) {
  iovec local[kMaxIov];
  iovec remote[kMaxIov];
  size_t k = 0;
  while (k < ops.size()) {
    const size_t n = std::min(kMaxIov, ops.size() - k);
    for (size_t j = 0; j < n; j++) {
      local[j] = iovec{ops[k + j].local, ops[k + j].len};
      remote[j] = iovec{reinterpret_cast<void*>(ops[k + j].remote), ops[k + j].len};
    }
    const ssize_t got = process_vm_readv(pid, local, n, remote, n, 0);
    tally->syscalls++;
    if (got < 0) {
      if (errno == EFAULT) {  // the first op failed before anything was transferred
        ops[k].ok = false;
        k++;
        continue;
      }
      return RemoteReadError(pid, errno);
    }
    tally->bytes_read += static_cast<uint64_t>(got);
    // Transfers stop at the first remote iovec that faults; everything before it is complete.
    size_t left = static_cast<size_t>(got);
    size_t j = 0;
    while (j < n && left >= ops[k + j].len) {
      ops[k + j].ok = true;
      left -= ops[k + j].len;
      j++;
    }
    if (j < n) {
      ops[k + j].ok = false;  // this one faulted (or was cut short)
      j++;
    }
    k += j;
  }
  return Ok{};
}

}  // namespace goretain
