// The one way the test suite starts a program (e2e harness, live tests): posix_spawn, PATH
// lookup, in its own process group (so a test can kill the program and whatever it started),
// with an empty signal mask and default dispositions whatever the test runner set.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace goretain::test_support {

// Where one of the child's standard descriptors comes from: an open descriptor of the parent
// (duplicated onto it; mark the parent's other pipe ends O_CLOEXEC), or a file opened for it.
struct Stdio {
  int fd = -1;       // >= 0: this descriptor
  std::string path;  // else: this file (read-only for stdin, created and truncated otherwise)

  static Stdio Fd(int fd) { return {fd, {}}; }
  static Stdio File(std::string path) { return {-1, std::move(path)}; }
};

// Starts argv; returns its PID (also its process group). Throws std::runtime_error on failure.
pid_t SpawnChild(const std::vector<std::string>& argv, const Stdio& in, const Stdio& out,
                 const Stdio& err);

}  // namespace goretain::test_support
