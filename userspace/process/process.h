// Live processes: finding a target's executable, its load bias, noticing its exit, and starting a
// command stopped right after exec so probes can be attached before it runs any Go code.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

// Watches a process for exit without being its parent (pidfd, Linux 5.3+).
class ExitWatcher {
 public:
  explicit ExitWatcher(pid_t pid);
  ~ExitWatcher();
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;
  bool Exited() const;  // non-blocking

 private:
  pid_t pid_;
  int pidfd_ = -1;
};

// A command started by goretain, stopped after its execve() so nothing of it has run yet.
class LaunchedCommand {
 public:
  // Errors: kNotFound (command not found), kPermission (not executable), kIo.
  static Result<LaunchedCommand> Start(const std::vector<std::string>& argv);
  LaunchedCommand(LaunchedCommand&& other) noexcept;
  LaunchedCommand& operator=(LaunchedCommand&&) = delete;
  ~LaunchedCommand();  // kills the command if it was never released

  pid_t pid() const { return pid_; }
  // Lets the command run (detaches the exec-stop). Call once probes are attached.
  Status Release();
  // Non-blocking: the exit status once the command has ended (128+N for signal N).
  std::optional<int> PollExit();
  // Blocking wait for the exit status.
  int WaitExit();
  // Ends a command that must not run (e.g. not a Go program).
  void Kill();

 private:
  explicit LaunchedCommand(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  bool released_ = false;
  std::optional<int> status_;
};

}  // namespace goretain
