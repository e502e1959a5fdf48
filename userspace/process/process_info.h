// A running process as goretain finds it: its executable (path and identity) and where that
// executable is loaded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "symbols/elf_file.h"
#include "symbols/result.h"
#include "userspace/goruntime/executable_id.h"

namespace goretain {

struct ProcessInfo {
  pid_t pid = 0;
  std::string exe_path;   // what /proc/PID/exe points to, for people (may be in another mount ns)
  std::string open_path;  // "/proc/PID/exe": opens the same file from any mount namespace
  ExecutableId exe_id;
};

// Errors: kNotFound (no such process), kPermission (cannot inspect it), kIo.
Result<ProcessInfo> InspectProcess(pid_t pid);

// The difference between runtime and link-time addresses of `elf` in process `pid` (0 for
// non-PIE executables), from /proc/PID/maps. Errors: kNotFound if the file is not mapped.
Result<uint64_t> ReadLoadBias(pid_t pid, const ExecutableId& exe, const symbols::ElfFile& elf);

}  // namespace goretain
