#include "kube_cgroup.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace e2e {
namespace fs = std::filesystem;
namespace {

std::string Hex(size_t n) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) s.push_back(digits[rng() % 16]);
  return s;
}

// Removes `dir` and everything below it, deepest first (cgroup directories are removed by
// rmdir only, once empty of processes): retried for up to 2 s while killed processes go.
void RemoveTree(const fs::path& dir) {
  for (int attempt = 0; attempt < 40 && fs::exists(dir); attempt++) {
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
      if (it->is_directory(ec)) dirs.push_back(it->path());
    }
    std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
      return a.string().size() > b.string().size();
    });
    for (const auto& d : dirs) rmdir(d.c_str());
    rmdir(dir.c_str());
    if (!fs::exists(dir)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

std::string Cgroup2Mount() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const size_t sep = line.find(" - cgroup2 ");
    if (sep == std::string::npos) continue;
    std::istringstream f(line.substr(0, sep));
    std::string id, parent, devno, root, mount_point;
    f >> id >> parent >> devno >> root >> mount_point;
    return mount_point;
  }
  return "";
}

std::string RandomPodUid() {
  return Hex(8) + "-" + Hex(4) + "-" + Hex(4) + "-" + Hex(4) + "-" + Hex(12);
}

std::string RandomContainerId() { return Hex(64); }

KubeCgroups::KubeCgroups() : mount_(Cgroup2Mount()) {
  static std::atomic<int> n{0};
  parent_ = "/goretain-e2e-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

KubeCgroups::~KubeCgroups() {
  if (mount_.empty()) return;
  RemoveTree(mount_ + parent_);
  // A runtime (runc) also makes the path in every v1 hierarchy of a hybrid host.
  std::error_code ec;
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    const fs::path p = h.path().string() + parent_;
    if (fs::exists(p)) RemoveTree(p);
  }
}

std::string KubeCgroups::PodCgroup(const std::string& pod_uid) const {
  std::string underscored = pod_uid;
  std::replace(underscored.begin(), underscored.end(), '-', '_');
  return parent_ + "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
         underscored + ".slice";
}

std::string KubeCgroups::MakeContainer(const std::string& pod_uid, const std::string& container_id) {
  const std::string rel = PodCgroup(pod_uid) + "/cri-containerd-" + container_id + ".scope";
  fs::create_directories(mount_ + rel);
  return rel;
}

bool KubeCgroups::Move(pid_t pid, const std::string& relative, std::string* error) {
  std::ofstream procs(mount_ + relative + "/cgroup.procs");
  procs << pid << std::flush;
  if (!procs) {
    *error = "writing " + mount_ + relative + "/cgroup.procs: " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace e2e
