#include "userspace/process/cgroup2.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

namespace goretain {
namespace {

std::string Normalized(std::string path) {
  if (path.empty() || path[0] != '/') path.insert(path.begin(), '/');
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

Result<std::string> Cgroup2Mount() {
  for (const char* dir : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    struct statfs fs {};
    if (statfs(dir, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return std::string(dir);
  }
  return MakeError(ErrorCode::kNotFound,
                   "no cgroup v2 hierarchy is mounted (looked at /sys/fs/cgroup/unified and "
                   "/sys/fs/cgroup): following processes needs cgroup v2");
}

Result<uint64_t> Cgroup2Id(const std::string& mount, const std::string& path) {
  const std::string rel = Normalized(path);
  if (rel.find("/..") != std::string::npos) {
    return MakeError(ErrorCode::kBadInput, fmt::format("cgroup {}: '..' is not allowed", path));
  }
  struct stat st {};
  const std::string full = mount + (rel == "/" ? "" : rel);
  if (stat(full.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("no cgroup {} (looked for the directory {}; hint: the path is "
                                 "relative to the cgroup v2 mount, as in /proc/PID/cgroup's 0:: "
                                 "line)", rel, full));
  }
  return static_cast<uint64_t>(st.st_ino);
}

std::vector<pid_t> Cgroup2Procs(const std::string& mount, const std::string& path) {
  namespace fs = std::filesystem;
  const std::string rel = Normalized(path);
  std::vector<pid_t> pids;
  auto read_procs = [&pids](const fs::path& dir) {
    std::ifstream in(dir / "cgroup.procs");
    for (pid_t pid; in >> pid;) pids.push_back(pid);
  };
  const fs::path top = mount + (rel == "/" ? "" : rel);
  std::error_code ec;
  read_procs(top);
  for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec)) read_procs(it->path());
  }
  return pids;
}

}  // namespace goretain
