#include "userspace/process/profile_rate_writer.h"

#include <sys/uio.h>

#include <cerrno>

#include <fmt/format.h>

#include "userspace/process/profile_buckets.h"
#include "userspace/process/remote_memory.h"

namespace goretain {

Status WriteMemProfileRate(pid_t pid, const ProfileLayout& layout, uint64_t load_bias,
                           int64_t expected, int64_t rate) {
  if (rate <= 0) {
    return MakeError(ErrorCode::kBadInput, fmt::format("--enable-sampling: {} is not a positive "
                                                       "number of bytes", rate));
  }
  auto now = ReadMemProfileRate(pid, layout, load_bias);
  if (!now) return now.error();
  if (*now != expected) {
    return MakeError(ErrorCode::kAborted,
                     fmt::format("runtime.MemProfileRate of pid {} changed from {} to {} while "
                                 "goretain attached: left as it is", pid, expected, *now));
  }
  // One aligned 8-byte word: the kernel copies it whole, as the program's own store would be.
  iovec local{&rate, sizeof rate};
  iovec remote{reinterpret_cast<void*>(layout.mem_profile_rate.value + load_bias), sizeof rate};
  const ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
  if (n == static_cast<ssize_t>(sizeof rate)) return Ok{};
  if (n < 0 && errno != EFAULT) {
    Error e = RemoteReadError(pid, errno);
    e.message = fmt::format("writing runtime.MemProfileRate: {}", e.message);
    return e;
  }
  return MakeError(ErrorCode::kBadInput,
                   fmt::format("runtime.MemProfileRate at {:#x} of pid {} could not be written",
                               layout.mem_profile_rate.value + load_bias, pid));
}

}  // namespace goretain
