#include "tests/support/test_cgroup.h"

#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace goretain::test_support {
namespace fs = std::filesystem;

fs::path TestCgroup::Mount() {
  for (const char* dir : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    struct statfs st {};
    if (statfs(dir, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) return dir;
  }
  throw std::runtime_error("no cgroup v2 mount at /sys/fs/cgroup/unified or /sys/fs/cgroup");
}

TestCgroup::TestCgroup(const std::string& label) {
  static std::atomic<int> counter{0};
  path_ = "/gr-test-" + label + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  fs::create_directory(Mount().string() + path_);  // throws on failure
}

std::string TestCgroup::MakeChild(const std::string& name) {
  const std::string rel = path_ + "/" + name;
  fs::create_directory(Mount().string() + rel);
  children_.push_back(rel);
  return rel;
}

std::vector<std::string> TestCgroup::Wrap(const std::vector<std::string>& argv,
                                          const std::string& rel) const {
  const std::string procs = Mount().string() + (rel.empty() ? path_ : rel) + "/cgroup.procs";
  std::vector<std::string> out = {"/bin/sh", "-c", "echo $$ > '" + procs + "' && exec \"$@\"",
                                  "sh"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

TestCgroup::~TestCgroup() {
  const std::string top = Mount().string() + path_;
  { std::ofstream(top + "/cgroup.kill") << "1"; }  // Linux 5.14+: SIGKILL to the whole subtree
  // rmdir fails while a killed process is still exiting: retry for up to 2 s.
  for (int i = 0; i < 100; i++) {
    bool ok = true;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      const std::string dir = Mount().string() + *it;
      if (fs::exists(dir) && rmdir(dir.c_str()) != 0) ok = false;
    }
    if (ok && (rmdir(top.c_str()) == 0 || !fs::exists(top))) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace goretain::test_support
