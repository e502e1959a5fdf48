// The ONE write goretain ever makes to a target (--enable-sampling, opt-in, documented in
// README): setting runtime.MemProfileRate in a running Go program whose linker disabled heap
// profiling (MemProfileRate = 0), the same word the program's own `runtime.MemProfileRate = N`
// would set. The runtime then samples one allocation per BYTES allocated and keeps profile
// buckets for the samples (and frees of sampled objects), as in any binary that imports
// net/http/pprof. tests/layering/check_layering.py lets no other file call process_vm_writev.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "symbols/result.h"
#include "userspace/goruntime/profile_layout.h"

namespace goretain {

// Writes `rate` (> 0) into `pid`'s runtime.MemProfileRate, once, if it is still `expected` (the
// value read at attach): a program that set its own rate meanwhile is left alone (kAborted).
// Errors: kNotFound (the process exited), kPermission, kIo, kBadInput (rate ≤ 0, or the word is
// not mapped).
Status WriteMemProfileRate(pid_t pid, const ProfileLayout& layout, uint64_t load_bias,
                           int64_t expected, int64_t rate);

}  // namespace goretain
