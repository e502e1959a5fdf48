// TracedProcess: one traced process and the executable it runs (shared with every other process
// running the same file).
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "userspace/goruntime/traced_binary.h"

namespace goretain {

struct TracedProcess {
  pid_t pid = 0;
  const TracedBinary* binary = nullptr;
  uint64_t load_bias = 0;  // ProcessVaddr - ElfVaddr
};

}  // namespace goretain
