#include "userspace/targets/labels.h"

#include <dirent.h>
#include <unistd.h>

#include <vector>

#include "userspace/targets/pod_metadata.h"
#include "userspace/targets/proc_scan.h"

namespace goretain::targets {
namespace {

std::vector<std::string> Subdirectories(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) out.push_back(name);
  }
  closedir(d);
  return out;
}

std::optional<Annotations> ConfigAnnotations(const std::string& config_path) {
  auto text = ReadSmallFile(config_path);
  if (!text) return std::nullopt;
  auto a = ParseOciConfigAnnotations(*text);
  if (!a) return std::nullopt;
  return *a;
}

struct Found {
  Annotations annotations;
  std::string source;
  bool from_runc = false;
};

// The bundle by the container's ID in containerd's and CRI-O's state directories.
std::optional<Found> BundleById(const HostPaths& host, const std::string& id) {
  if (id.empty()) return std::nullopt;
  const std::string tasks = host.run + "/containerd/io.containerd.runtime.v2.task";
  for (const std::string& ns : Subdirectories(tasks)) {
    const std::string path = tasks + "/" + ns + "/" + id + "/config.json";
    if (auto a = ConfigAnnotations(path)) return Found{*a, path};
  }
  const std::string crio = host.run + "/containers/storage/overlay-containers/" + id +
                           "/userdata/config.json";
  if (auto a = ConfigAnnotations(crio)) return Found{*a, crio};
  return std::nullopt;
}

bool RuncStateMatches(const RuncState& s, pid_t pid, const CgroupIdentity& id,
                      const std::string& cgroup_path) {
  if (!id.container_id.empty() && s.id == id.container_id) return true;
  if (pid > 0 && s.init_pid == pid) return true;
  if (!cgroup_path.empty() && s.cgroups_path == cgroup_path) return true;
  // The systemd form "slice:prefix:id" names the same container as the expanded path.
  return !id.container_id.empty() && ParseCgroupPath(s.cgroups_path).container_id == id.container_id;
}

// runc's state of the container holding the process: runc's own root and containerd's per
// namespace roots.
std::optional<Found> BundleFromRuncState(const HostPaths& host, pid_t pid, const CgroupIdentity& id,
                                         const std::string& cgroup_path) {
  std::vector<std::string> roots{host.run + "/runc"};
  for (const std::string& ns : Subdirectories(host.run + "/containerd/runc")) {
    roots.push_back(host.run + "/containerd/runc/" + ns);
  }
  for (const std::string& root : roots) {
    for (const std::string& name : Subdirectories(root)) {
      const std::string path = root + "/" + name + "/state.json";
      auto text = ReadSmallFile(path);
      if (!text) continue;
      auto state = ParseRuncState(*text);
      if (!state || !RuncStateMatches(*state, pid, id, cgroup_path)) continue;
      Found f{state->annotations, path, true};
      if (f.annotations.empty() && !state->bundle.empty()) {
        if (auto a = ConfigAnnotations(state->bundle + "/config.json")) f.annotations = *a;
      }
      return f;
    }
  }
  return std::nullopt;
}

// A shim runs in its container's bundle directory: the first ancestor (up to a few levels up:
// the container's init, then the shim) whose cwd is a directory named after the container ID.
std::optional<Found> BundleFromShimCwd(const HostPaths& host, pid_t pid, const std::string& cid) {
  if (pid <= 0 || cid.empty()) return std::nullopt;
  pid_t p = ReadProcStatus(host, pid).ppid;
  for (int level = 0; level < 4 && p > 1; level++) {
    char buf[4096];
    const std::string link = host.proc + "/" + std::to_string(p) + "/cwd";
    const ssize_t n = readlink(link.c_str(), buf, sizeof(buf) - 1);
    if (n > 0) {
      const std::string cwd(buf, static_cast<size_t>(n));
      if (cwd.ends_with("/" + cid)) {
        if (auto a = ConfigAnnotations(cwd + "/config.json")) return Found{*a, cwd + "/config.json"};
      }
    }
    p = ReadProcStatus(host, p).ppid;
  }
  return std::nullopt;
}

void FromPodLogs(const HostPaths& host, ProcessLabels& out) {
  TargetLabels& l = out.labels;
  if (l.pod_uid.empty() || (!l.pod.empty() && !l.namespace_.empty() && !l.container.empty())) return;
  for (const std::string& name : Subdirectories(host.var_log_pods)) {
    auto dir = ParsePodLogDirName(name);
    if (!dir || dir->pod_uid != l.pod_uid) continue;
    if (l.pod.empty() && l.namespace_.empty()) {
      l.pod = dir->pod;
      l.namespace_ = dir->namespace_;
      if (out.source.empty()) out.source = host.var_log_pods + "/" + name;
    }
    const auto containers = Subdirectories(host.var_log_pods + "/" + name);
    if (l.container.empty() && containers.size() == 1) l.container = containers[0];
    return;
  }
}

}  // namespace

ProcessLabels ReadLabels(const HostPaths& host, pid_t pid, const CgroupIdentity& id,
                         const std::string& cgroup_path) {
  ProcessLabels out;
  out.labels.container_id = id.container_id;
  out.labels.runtime = id.runtime;
  out.labels.pod_uid = id.pod_uid;
  std::optional<Found> found = BundleById(host, id.container_id);
  if (!found && !cgroup_path.empty() && cgroup_path != "/") {
    found = BundleFromRuncState(host, pid, id, cgroup_path);
  }
  if (!found) found = BundleFromShimCwd(host, pid, id.container_id);
  if (found) {
    const PodAnnotations a = ReadPodAnnotations(found->annotations);
    MergeLabels(a, out.labels);
    out.sandbox = a.sandbox;
    if (!a.pod.empty()) out.source = found->source;
    if (out.labels.runtime.empty() && found->from_runc) out.labels.runtime = "runc";
  }
  FromPodLogs(host, out);
  return out;
}

}  // namespace goretain::targets
