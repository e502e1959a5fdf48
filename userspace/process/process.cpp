#include "userspace/process/process.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace goretain {
namespace {

Error ErrnoError(int err, const std::string& what) {
  ErrorCode code = ErrorCode::kIo;
  if (err == ENOENT || err == ESRCH) code = ErrorCode::kNotFound;
  if (err == EPERM || err == EACCES) code = ErrorCode::kPermission;
  return MakeError(code, fmt::format("{}: {}", what, strerror(err)));
}

int StatusToExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

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
    return ErrnoError(errno, fmt::format("reading the executable of process {}", pid));
  }
  info.exe_path.assign(buf, static_cast<size_t>(n));
  struct stat st {};
  if (stat(info.open_path.c_str(), &st) != 0) {
    return ErrnoError(errno, fmt::format("inspecting the executable of process {}", pid));
  }
  info.exe_id = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  return info;
}

Result<uint64_t> ReadLoadBias(pid_t pid, const ExecutableId& exe, const symbols::ElfFile& elf) {
  if (!elf.is_pie()) return uint64_t{0};
  std::ifstream maps(fmt::format("/proc/{}/maps", pid));
  if (!maps) return ErrnoError(errno, fmt::format("reading the memory map of process {}", pid));
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

Result<LaunchedCommand> LaunchedCommand::Start(const std::vector<std::string>& argv) {
  if (argv.empty()) return MakeError(ErrorCode::kNotFound, "no command given");
  // The child reports a failed execvp through this close-on-exec pipe: EOF means exec succeeded.
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) return ErrnoError(errno, "creating a pipe");

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    close(errpipe[0]);
    close(errpipe[1]);
    return ErrnoError(errno, "starting the command");
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
    return ErrnoError(child_errno, fmt::format("cannot run '{}'", argv[0]));
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
    return ErrnoError(errno, fmt::format("resuming process {}", pid_));
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
