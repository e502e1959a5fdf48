#include "userspace/process/process_info.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "userspace/process/system_error.h"

namespace goretain {

Result<ProcessInfo> InspectProcess(pid_t pid) {
  if (pid <= 0) return MakeError(ErrorCode::kNotFound, fmt::format("invalid PID {}", pid));
  if (kill(pid, 0) != 0 && errno == ESRCH) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no process with PID {}", pid));
  }
  ProcessInfo info;
  info.pid = pid;
  info.open_path = fmt::format("/proc/{}/exe", pid);
  char buf[4096];
  ssize_t n = readlink(info.open_path.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) {
    if (errno == ENOENT) {
      return MakeError(ErrorCode::kNotFound,
                       fmt::format("process {} has no executable (a kernel thread or a zombie)", pid));
    }
    return SystemError(errno, fmt::format("reading the executable of process {}", pid));
  }
  info.exe_path.assign(buf, static_cast<size_t>(n));
  struct stat st {};
  if (stat(info.open_path.c_str(), &st) != 0) {
    return SystemError(errno, fmt::format("inspecting the executable of process {}", pid));
  }
  info.exe_id = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  return info;
}

Result<uint64_t> ReadLoadBias(pid_t pid, const ExecutableId& exe, const symbols::ElfFile& elf) {
  if (!elf.is_pie()) return uint64_t{0};
  std::ifstream maps(fmt::format("/proc/{}/maps", pid));
  if (!maps) return SystemError(errno, fmt::format("reading the memory map of process {}", pid));
  // Line: start-end perms offset major:minor inode path
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long long start = 0, end = 0, offset = 0, inode = 0;
    unsigned int major = 0, minor = 0;
    char perms[8] = {};
    if (sscanf(line.c_str(), "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &offset, &major,
               &minor, &inode) != 7) {
      continue;
    }
    if (inode != exe.ino || makedev(major, minor) != exe.dev) continue;
    for (const auto& seg : elf.load_segments()) {
      const uint64_t page_mask = ~uint64_t{0xfff};
      if ((seg.offset.value & page_mask) == offset) {
        return start - (seg.vaddr.value & page_mask);
      }
    }
  }
  return MakeError(ErrorCode::kNotFound,
                   fmt::format("process {} does not map its executable (has it exited?)", pid));
}

}  // namespace goretain
