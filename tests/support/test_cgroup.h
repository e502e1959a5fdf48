// A cgroup made for one test directly under the cgroup v2 mount (the Tetragon approach: no
// container runtime), with a unique name, and removed with everything in it at the end.
// Processes enter it through a shell that writes its own PID to cgroup.procs and then execs
// the real program, so the program's execve already happens inside the cgroup.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace goretain::test_support {

class TestCgroup {
 public:
  // Makes <cgroup2 mount>/gr-test-<label>-<pid>-<n>. Throws std::runtime_error on failure.
  explicit TestCgroup(const std::string& label);
  // Kills whatever is left inside (cgroup.kill), then removes the cgroup and its children.
  ~TestCgroup();
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;

  // The cgroup v2 mount point (/sys/fs/cgroup/unified on hybrid hosts, else /sys/fs/cgroup).
  static std::filesystem::path Mount();

  // Path relative to the mount, as /proc/PID/cgroup shows it ("/gr-test-...").
  const std::string& path() const { return path_; }
  // Makes a child cgroup (e.g. a container of a pod) and returns its relative path.
  std::string MakeChild(const std::string& name);
  // argv that runs `argv` inside cgroup `rel` (this cgroup or a child): sh joins it, then execs.
  std::vector<std::string> Wrap(const std::vector<std::string>& argv,
                                const std::string& rel = "") const;

 private:
  std::string path_;
  std::vector<std::string> children_;
};

}  // namespace goretain::test_support
