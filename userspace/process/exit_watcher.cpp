#include "userspace/process/exit_watcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace goretain {

ExitWatcher::ExitWatcher(pid_t pid) : pid_(pid) {
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

ExitWatcher::~ExitWatcher() {
  if (pidfd_ >= 0) close(pidfd_);
}

bool ExitWatcher::Exited() const {
  if (pidfd_ < 0) return kill(pid_, 0) != 0 && errno == ESRCH;
  struct pollfd p = {pidfd_, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

}  // namespace goretain
