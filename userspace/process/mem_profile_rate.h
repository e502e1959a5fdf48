// runtime.MemProfileRate of a running Go process: how many bytes the runtime allocates, on
// average, per heap-profile sample (512 KiB by default; 0 when the binary cannot write a heap
// profile and the runtime switched profiling off). --sample unsamples its figures with it.
//
// One read of the variable's word with process_vm_readv, at the address of its .symtab symbol.
// The reading for stripped binaries and --enable-sampling belong to issue 12's item 4: this is
// the one place that reads the rate, so that work replaces this function's body only.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "symbols/elf_file.h"
#include "symbols/result.h"

namespace goretain {

// Errors: kUnsupported (no runtime.MemProfileRate symbol: a stripped binary; the session then
// assumes Go's default and says so), kNotFound (the process exited), kPermission, kIo.
Result<uint64_t> ReadMemProfileRate(pid_t pid, const symbols::ElfFile& elf, uint64_t load_bias);

}  // namespace goretain
