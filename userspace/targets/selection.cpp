#include "userspace/targets/selection.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>
#include <spdlog/spdlog.h>

#include "userspace/targets/cgroup_path.h"
#include "userspace/targets/go_check.h"
#include "userspace/targets/labels.h"
#include "userspace/targets/mountinfo.h"
#include "userspace/targets/proc_scan.h"

namespace goretain::targets {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A --cgroup argument as a path relative to the v2 mount: "/a/b" (a full path under the mount
// point is accepted too).
std::string RelativeCgroup(std::string path, const CgroupMount& mount) {
  if (path.starts_with(mount.mount_point + "/")) path = path.substr(mount.mount_point.size());
  if (path.empty() || path[0] != '/') path = "/" + path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool UnderCgroup(const std::string& process_path, const std::string& selected) {
  if (selected == "/") return true;
  return process_path == selected || process_path.starts_with(selected + "/");
}

// The resolved selectors: what each process is compared with, and which selector found one.
struct Matcher {
  std::vector<std::string> containers, pod_uids, cgroups;
  std::vector<std::pair<std::string, std::string>> pods;  // (namespace, name)
  bool all = false;
  std::vector<bool> found_container, found_pod_uid, found_cgroup, found_pod;
};

Result<Matcher> MakeMatcher(const TargetSelection& s, const HostPaths& host) {
  Matcher m;
  m.all = s.all;
  for (const auto& c : s.containers) m.containers.push_back(Lower(c));
  for (const auto& u : s.pod_uids) m.pod_uids.push_back(NormalizePodUid(u));
  for (const auto& p : s.pods) {
    const size_t slash = p.find('/');
    m.pods.emplace_back(p.substr(0, slash), p.substr(slash + 1));
  }
  if (!s.cgroups.empty()) {
    auto mountinfo = ReadSmallFile(host.proc + "/self/mountinfo");
    auto mount = mountinfo ? FindCgroup2Mount(*mountinfo) : std::nullopt;
    if (!mount) {
      return Error{ErrorCode::kUnsupported,
                   "--cgroup: no cgroup v2 hierarchy is mounted (hint: /proc/self/mountinfo has no "
                   "cgroup2 mount; on a cgroup v1 host select by --pid, --container or --pod)"};
    }
    for (const auto& c : s.cgroups) {
      const std::string rel = RelativeCgroup(c, *mount);
      struct stat st {};
      if (stat((mount->mount_point + rel).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return Error{ErrorCode::kNotFound,
                     fmt::format("--cgroup {}: no such cgroup under {} (hint: the path is relative "
                                 "to the cgroup v2 mount, as in /proc/PID/cgroup's '0::' line)",
                                 c, mount->mount_point)};
      }
      m.cgroups.push_back(rel);
    }
  }
  m.found_container.assign(m.containers.size(), false);
  m.found_pod_uid.assign(m.pod_uids.size(), false);
  m.found_cgroup.assign(m.cgroups.size(), false);
  m.found_pod.assign(m.pods.size(), false);
  return m;
}

// Whether the process (its cgroup and labels) is selected; marks the selectors that found it.
// `follow`: the widest cgroup a selector that found it names (see SelectedProcess).
bool Matches(Matcher& m, const ProcCgroup& cg, const TargetLabels& labels, std::string* follow) {
  bool hit = m.all;
  std::string container_cg, pod_cg, selected_cg;
  for (size_t i = 0; i < m.containers.size(); i++) {
    if (!labels.container_id.empty() && labels.container_id.starts_with(m.containers[i])) {
      hit = m.found_container[i] = true;
      container_cg = cg.unified_path;
    }
  }
  for (size_t i = 0; i < m.pod_uids.size(); i++) {
    if (!labels.pod_uid.empty() && labels.pod_uid == m.pod_uids[i]) {
      hit = m.found_pod_uid[i] = true;
      pod_cg = PodCgroupPath(cg.unified_path);
      if (pod_cg.empty()) pod_cg = cg.unified_path;
    }
  }
  for (size_t i = 0; i < m.cgroups.size(); i++) {
    if (!cg.unified_path.empty() && UnderCgroup(cg.unified_path, m.cgroups[i])) {
      hit = m.found_cgroup[i] = true;
      if (selected_cg.empty() || m.cgroups[i].size() < selected_cg.size()) selected_cg = m.cgroups[i];
    }
  }
  for (size_t i = 0; i < m.pods.size(); i++) {
    if (labels.namespace_ == m.pods[i].first && labels.pod == m.pods[i].second) {
      hit = m.found_pod[i] = true;
      pod_cg = PodCgroupPath(cg.unified_path);
      if (pod_cg.empty()) pod_cg = cg.unified_path;
    }
  }
  // Every one is the process's own cgroup or an ancestor of it: the shortest is the widest. (A
  // pod whose cgroup path has no pod level, labels from a fallback, follows the process's own.)
  for (const std::string* c : {&container_cg, &pod_cg, &selected_cg}) {
    if (!c->empty() && (follow->empty() || c->size() < follow->size())) *follow = *c;
  }
  return hit;
}

// A selector that found no process at all: the first one, as an error with a hint.
Status CheckEveryMatcherFound(const Matcher& m, const TargetSelection& s) {
  for (size_t i = 0; i < m.containers.size(); i++) {
    if (!m.found_container[i]) {
      return Error{ErrorCode::kNotFound,
                   fmt::format("--container {}: no running process is in a container with this ID "
                               "(hint: the ID is the runtime's, 12 to 64 hex digits, as in "
                               "'crictl ps' or /proc/PID/cgroup)", s.containers[i])};
    }
  }
  for (size_t i = 0; i < m.pod_uids.size(); i++) {
    if (!m.found_pod_uid[i]) {
      return Error{ErrorCode::kNotFound,
                   fmt::format("--pod-uid {}: no running process is in a pod with this UID (hint: "
                               "'kubectl get pod NAME -o jsonpath={{.metadata.uid}}')", s.pod_uids[i])};
    }
  }
  for (size_t i = 0; i < m.pods.size(); i++) {
    if (!m.found_pod[i]) {
      return Error{ErrorCode::kNotFound,
                   fmt::format("--pod {}: no running process is in a pod of this namespace and name "
                               "(hint: the pod must run on this node; names come from the runtime's "
                               "bundle annotations or /var/log/pods)", s.pods[i])};
    }
  }
  for (size_t i = 0; i < m.cgroups.size(); i++) {
    if (!m.found_cgroup[i]) {
      return Error{ErrorCode::kNotFound,
                   fmt::format("--cgroup {}: no process is in this cgroup or below it (hint: its "
                               "cgroup.procs files are empty)", s.cgroups[i])};
    }
  }
  return Ok{};
}

}  // namespace

namespace {

// Labels of one cgroup, read once however many processes it holds.
class LabelCache {
 public:
  explicit LabelCache(const HostPaths& host) : host_(host) {}
  const ProcessLabels& For(pid_t pid, const ProcCgroup& cg) {
    auto [it, inserted] = cache_.try_emplace(cg.unified_path);
    if (inserted) it->second = ReadLabels(host_, pid, cg.identity, cg.unified_path);
    return it->second;
  }

 private:
  const HostPaths& host_;
  std::map<std::string, ProcessLabels> cache_;
};

SelectedProcess Describe(const HostPaths& host, LabelCache& labels, pid_t pid, bool named) {
  SelectedProcess p;
  p.pid = pid;
  p.named = named;
  p.ns_pid = ReadProcStatus(host, pid).ns_pid;
  if (auto cg = ReadProcCgroup(host, pid)) {
    p.labels = labels.For(pid, *cg).labels;
    p.cgroup = cg->unified_path;
    p.pod_cgroup = PodCgroupPath(cg->unified_path);
  }
  return p;
}

}  // namespace

SelectedProcess DescribeProcess(const HostPaths& host, pid_t pid) {
  LabelCache labels(host);
  return Describe(host, labels, pid, /*named=*/true);
}

namespace {

// Why a process a selector found is not traced ("" if it is), for the debug line.
std::string SkipReason(const HostPaths& host, pid_t pid, const ProcessLabels& labels,
                       const ProcCgroup& cg, std::map<std::pair<dev_t, ino_t>, bool>& go_by_file) {
  if (cg.identity.runtime_helper) return "a container runtime's helper (conmon)";
  if (labels.sandbox) return "a pod's pause container";
  const std::string exe = host.proc + "/" + std::to_string(pid) + "/exe";
  struct stat st {};
  if (stat(exe.c_str(), &st) != 0) return "no executable (a kernel thread, or it exited)";
  auto [it, inserted] = go_by_file.try_emplace({st.st_dev, st.st_ino}, false);
  if (inserted) it->second = LooksLikeGo(exe);
  return it->second ? "" : "not a Go program";
}

}  // namespace

std::optional<std::string> CheckSelectionSyntax(const TargetSelection& s) {
  for (pid_t p : s.pids) {
    if (p <= 0) return fmt::format("--pid {}: not a PID", p);
  }
  for (const auto& c : s.containers) {
    if (!IsContainerIdPrefix(c)) {
      return fmt::format("--container {}: a container ID is 12 to 64 hex digits", c);
    }
  }
  for (const auto& p : s.pods) {
    const size_t slash = p.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == p.size() ||
        p.find('/', slash + 1) != std::string::npos) {
      return fmt::format("--pod {}: give NAMESPACE/NAME", p);
    }
  }
  for (const auto& u : s.pod_uids) {
    if (NormalizePodUid(u).empty()) {
      return fmt::format("--pod-uid {}: a pod UID is 8-4-4-4-12 hex digits (dashes or "
                         "underscores) or 32 hex digits", u);
    }
  }
  for (const auto& c : s.cgroups) {
    if (c.empty()) return "--cgroup: give a path";
  }
  return std::nullopt;
}

Result<std::vector<SelectedProcess>> ResolveSelection(const TargetSelection& s,
                                                      const HostPaths& host, pid_t self) {
  LabelCache labels(host);
  std::vector<SelectedProcess> out;
  std::set<pid_t> taken;
  for (pid_t pid : s.pids) {
    if (taken.insert(pid).second) out.push_back(Describe(host, labels, pid, /*named=*/true));
  }
  if (s.only_pids()) return out;
  auto matcher = MakeMatcher(s, host);
  if (!matcher) return matcher.error();
  std::map<std::pair<dev_t, ino_t>, bool> go_by_file;
  size_t found = 0;
  for (pid_t pid : ListProcesses(host)) {
    if (pid == self || taken.contains(pid)) continue;
    auto cg = ReadProcCgroup(host, pid);
    if (!cg) continue;  // exited
    const ProcessLabels& l = labels.For(pid, *cg);
    std::string follow;
    if (!Matches(*matcher, *cg, l.labels, &follow)) continue;
    found++;
    if (std::string why = SkipReason(host, pid, l, *cg, go_by_file); !why.empty()) {
      spdlog::debug("pid {}: skipped: {}", pid, why);
      continue;
    }
    taken.insert(pid);
    SelectedProcess p;
    p.pid = pid;
    p.ns_pid = ReadProcStatus(host, pid).ns_pid;
    p.labels = l.labels;
    p.cgroup = cg->unified_path;
    p.pod_cgroup = PodCgroupPath(cg->unified_path);
    p.follow_cgroup = std::move(follow);
    out.push_back(std::move(p));
  }
  if (auto st = CheckEveryMatcherFound(*matcher, s); !st) return st.error();
  if (out.empty()) {
    return Error{ErrorCode::kNotFound,
                 fmt::format("the selection holds {} process(es) and none is a Go program (hint: "
                             "rerun with -v to see each process skipped and why)", found)};
  }
  return out;
}

}  // namespace goretain::targets
