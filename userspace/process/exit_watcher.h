// Noticing that a traced process (not goretain's child) has exited.
#pragma once

#include <sys/types.h>

namespace goretain {

// Watches a process for exit without being its parent (pidfd, Linux 5.3+; else kill(pid, 0)).
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

}  // namespace goretain
