#include "tests/support/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include <cstring>
#include <stdexcept>

extern char** environ;

namespace goretain::test_support {
namespace {

void AddStdio(posix_spawn_file_actions_t* fa, int target, const Stdio& s) {
  if (s.fd >= 0) {
    if (s.fd != target) posix_spawn_file_actions_adddup2(fa, s.fd, target);
    return;
  }
  const int flags = target == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC;
  posix_spawn_file_actions_addopen(fa, target, s.path.c_str(), flags, 0644);
}

}  // namespace

pid_t SpawnChild(const std::vector<std::string>& argv, const Stdio& in, const Stdio& out,
                 const Stdio& err) {
  if (argv.empty()) throw std::invalid_argument("SpawnChild: empty argv");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  AddStdio(&fa, 0, in);
  AddStdio(&fa, 1, out);
  AddStdio(&fa, 2, err);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + strerror(rc));
  return pid;
}

}  // namespace goretain::test_support
