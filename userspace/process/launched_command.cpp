#include "userspace/process/launched_command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "userspace/process/system_error.h"

namespace goretain {
namespace {

int StatusToExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

Result<LaunchedCommand> LaunchedCommand::Start(const std::vector<std::string>& argv) {
  if (argv.empty()) return MakeError(ErrorCode::kNotFound, "no command given");
  // The child reports a failed execvp through this close-on-exec pipe: EOF means exec succeeded.
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) return SystemError(errno, "creating a pipe");

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    close(errpipe[0]);
    close(errpipe[1]);
    return SystemError(errno, "starting the command");
  }
  if (pid == 0) {
    close(errpipe[0]);
    // PTRACE_TRACEME makes the kernel stop us with SIGTRAP right after a successful execve:
    // the new image is mapped (so probes can be placed) and no instruction of it has run.
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    execvp(args[0], args.data());
    int err = errno;
    (void)!write(errpipe[1], &err, sizeof(err));
    _exit(127);
  }
  close(errpipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(errpipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(errpipe[0]);
  if (n == sizeof(child_errno)) {
    int status;
    waitpid(pid, &status, 0);
    return SystemError(child_errno, fmt::format("cannot run '{}'", argv[0]));
  }
  int status = 0;
  pid_t r;
  do {  // a stop signal for goretain (no SA_RESTART) must not pass for a failed exec
    r = waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r != pid || !WIFSTOPPED(status)) {
    return MakeError(ErrorCode::kIo, fmt::format("'{}' did not stop after exec", argv[0]));
  }
  return LaunchedCommand(pid);
}

LaunchedCommand::LaunchedCommand(LaunchedCommand&& other) noexcept
    : pid_(other.pid_), released_(other.released_), status_(other.status_) {
  other.pid_ = -1;
}

LaunchedCommand::~LaunchedCommand() {
  if (pid_ > 0 && !released_) Kill();
}

Status LaunchedCommand::Release() {
  if (ptrace(PTRACE_DETACH, pid_, nullptr, nullptr) != 0) {
    return SystemError(errno, fmt::format("resuming process {}", pid_));
  }
  released_ = true;
  return Ok{};
}

std::optional<int> LaunchedCommand::PollExit() {
  if (status_) return status_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) status_ = StatusToExitCode(status);
  return status_;
}

int LaunchedCommand::WaitExit() {
  while (!status_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, 0);
    if (r < 0 && errno != EINTR) {
      status_ = 1;
    } else if (r == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) {
      status_ = StatusToExitCode(status);
    }
  }
  return *status_;
}

void LaunchedCommand::Kill() {
  if (pid_ <= 0 || status_) return;
  kill(pid_, SIGKILL);
  if (!released_) ptrace(PTRACE_DETACH, pid_, nullptr, nullptr);
  released_ = true;
  WaitExit();
}

}  // namespace goretain
