// `goretain -- COMMAND`: the command started by goretain, stopped right after its execve so
// probes can be attached before it runs any Go code; its exit status becomes goretain's.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "symbols/result.h"

namespace goretain {

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
