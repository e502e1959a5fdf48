#include "userspace/process/mem_profile_rate.h"

#include <fmt/format.h>

#include <cerrno>

#include "userspace/process/remote_memory.h"

namespace goretain {

Result<uint64_t> ReadMemProfileRate(pid_t pid, const symbols::ElfFile& elf, uint64_t load_bias) {
  const auto sym = elf.FindSymbol("runtime.MemProfileRate");
  if (!sym) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("{} has no runtime.MemProfileRate symbol (stripped): --sample "
                                 "cannot read its sampling rate", elf.path()));
  }
  int64_t rate = 0;
  ReadOp op{sym->value.value + load_bias, &rate, sizeof(rate)};
  ReadTally tally;
  if (auto s = ReadMany(pid, std::span(&op, 1), &tally); !s) return s.error();
  if (!op.ok) return RemoteReadError(pid, EFAULT);
  return rate < 0 ? 0 : static_cast<uint64_t>(rate);
}

}  // namespace goretain
