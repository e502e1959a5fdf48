#include "userspace/targets/proc_scan.h"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace goretain::targets {

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

std::vector<pid_t> ListProcesses(const HostPaths& host) {
  std::vector<pid_t> pids;
  DIR* dir = opendir(host.proc.c_str());
  if (dir == nullptr) return pids;
  while (const dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid > 0 && end != e->d_name && *end == '\0') pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(dir);
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::optional<ProcCgroup> ReadProcCgroup(const HostPaths& host, pid_t pid) {
  auto text = ReadSmallFile(host.proc + "/" + std::to_string(pid) + "/cgroup");
  if (!text) return std::nullopt;
  return ParseProcCgroup(*text);
}

ProcStatus ReadProcStatus(const HostPaths& host, pid_t pid) {
  ProcStatus st;
  std::ifstream in(host.proc + "/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("PPid:")) {
      st.ppid = static_cast<pid_t>(std::atoi(line.c_str() + 5));
    } else if (line.starts_with("NSpid:")) {
      std::istringstream fields(line.substr(6));
      long v = 0;
      while (fields >> v) st.ns_pid = static_cast<pid_t>(v);
    }
  }
  return st;
}

}  // namespace goretain::targets
