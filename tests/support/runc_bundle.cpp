#include "tests/support/runc_bundle.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tests/support/spawn.h"

namespace goretain::test_support {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string RandomHex(size_t n) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) s += kHex[rng() % 16];
  return s;
}

json Mount(const std::string& dest, const std::string& type, const std::string& source,
           std::vector<std::string> options) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

json Mounts(const BundleConfig& c) {
  json m = json::array();
  m.push_back(Mount("/proc", "proc", "proc", {}));
  m.push_back(Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  m.push_back(Mount("/dev/pts", "devpts", "devpts",
                    {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}));
  m.push_back(Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  m.push_back(Mount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"}));
  bool sys_bound = false;
  for (const BindMount& b : c.binds) sys_bound |= b.destination == "/sys";
  // Without its own network namespace a container cannot mount a fresh sysfs: bind the host's.
  if (!sys_bound) m.push_back(Mount("/sys", "bind", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
  for (const BindMount& b : c.binds) {
    std::vector<std::string> opts = {"rbind", "nosuid", "nodev"};
    if (b.read_only) opts.push_back("ro");
    m.push_back(Mount(b.destination, "bind", b.source, opts));
  }
  return m;
}

}  // namespace

std::string RandomContainerId() { return RandomHex(64); }

std::string RandomPodUid() {
  const std::string h = RandomHex(32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

std::string KubeletCgroupsPath(const std::string& qos, const std::string& pod_uid,
                               const std::string& container_id) {
  return "/kubepods" + (qos.empty() ? "" : "/" + qos) + "/pod" + pod_uid + "/" + container_id;
}

std::map<std::string, std::string> ContainerdAnnotations(const std::string& ns,
                                                         const std::string& pod,
                                                         const std::string& pod_uid,
                                                         const std::string& container,
                                                         const std::string& sandbox_id) {
  return {{"io.kubernetes.cri.container-type", "container"},
          {"io.kubernetes.cri.container-name", container},
          {"io.kubernetes.cri.sandbox-id", sandbox_id},
          {"io.kubernetes.cri.sandbox-name", pod},
          {"io.kubernetes.cri.sandbox-namespace", ns},
          {"io.kubernetes.cri.sandbox-uid", pod_uid},
          {"io.kubernetes.cri.image-name", "goretain.test/" + container + ":latest"}};
}

std::string ConfigJson(const BundleConfig& c) {
  std::vector<std::string> caps = c.capabilities;
  if (caps.empty()) caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  json ns = json::array({{{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  if (!c.host_pid) ns.push_back({{"type", "pid"}});
  // No network namespace (the pod network is not the point; the agent's port stays reachable)
  // and no cgroup namespace: /proc/PID/cgroup shows host paths, as in a privileged container.
  json linux = {{"namespaces", ns},
                {"maskedPaths", {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"}},
                {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}};
  if (!c.cgroups_path.empty()) linux["cgroupsPath"] = c.cgroups_path;
  json config = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", c.args},
        {"env", c.env},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", c.readonly_rootfs}}},
      {"hostname", "goretain-test"},
      {"mounts", Mounts(c)},
      {"annotations", c.annotations},
      {"linux", linux}};
  return config.dump(2);
}

void WriteBundle(const fs::path& bundle, const BundleConfig& c) {
  fs::create_directories(bundle / "rootfs");
  std::ofstream(bundle / "config.json") << ConfigJson(c);
}

RuncRoot::RuncRoot(fs::path state_dir, fs::path scratch_dir)
    : root_(std::move(state_dir)), scratch_(scratch_dir.empty() ? root_ : std::move(scratch_dir)) {
  fs::create_directories(root_);
  fs::create_directories(scratch_);
}

RuncRoot::~RuncRoot() {
  for (const std::string& id : ids_) Runc({"delete", "--force", id});
}

int RuncRoot::Runc(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv = {"runc", "--root", root_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const fs::path out_file = scratch_ / ("out." + std::to_string(getpid()) + ".txt");
  const pid_t pid = SpawnChild(argv, Stdio::File("/dev/null"), Stdio::File(out_file.string()),
                               Stdio::File((scratch_ / "runc-stderr.txt").string()));
  int status = 0;
  waitpid(pid, &status, 0);
  if (out) {
    std::ifstream in(out_file);
    std::stringstream s;
    s << in.rdbuf();
    *out = s.str();
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> RuncRoot::RunArgv(const std::string& id, const fs::path& bundle) {
  ids_.push_back(id);
  return {"runc", "--root", root_.string(), "run", "--bundle", bundle.string(), id};
}

pid_t RuncRoot::RunDetached(const std::string& id, const fs::path& bundle) {
  ids_.push_back(id);
  // The container's stdio is runc's: files in the bundle, readable by the test.
  std::vector<std::string> argv = {"runc", "--root", root_.string(), "run", "--detach",
                                   "--bundle", bundle.string(), id};
  const pid_t pid = SpawnChild(argv, Stdio::File("/dev/null"),
                               Stdio::File((bundle / "stdout.txt").string()),
                               Stdio::File((bundle / "stderr.txt").string()));
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream err(bundle / "stderr.txt");
    std::stringstream s;
    s << err.rdbuf();
    throw std::runtime_error("runc run --detach " + id + " failed: " + s.str());
  }
  const json state = json::parse(State(id));
  return state.at("pid").get<pid_t>();
}

pid_t RuncRoot::ExecDetached(const std::string& id, const std::vector<std::string>& args,
                             const fs::path& output) {
  const fs::path pid_file = scratch_ / (id + ".exec." + std::to_string(execs_++) + ".pid");
  std::vector<std::string> argv = {"runc", "--root", root_.string(), "exec", "--detach",
                                   "--pid-file", pid_file.string(), id};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t runc = SpawnChild(argv, Stdio::File("/dev/null"), Stdio::File(output.string()),
                                Stdio::File(output.string() + ".stderr"));
  int status = 0;
  waitpid(runc, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("runc exec in " + id + " failed");
  }
  std::ifstream in(pid_file);
  pid_t pid = -1;
  in >> pid;
  return pid;
}

bool RuncRoot::Kill(const std::string& id, const std::string& signal) {
  return Runc({"kill", id, signal}) == 0;
}

std::string RuncRoot::State(const std::string& id) {
  std::string out;
  return Runc({"state", id}, &out) == 0 ? out : "";
}

}  // namespace goretain::test_support

namespace goretain::test_support {

void RemoveCgroupEverywhere(const std::string& path) {
  std::error_code ec;
  std::vector<fs::path> roots = {"/sys/fs/cgroup"};
  for (const auto& d : fs::directory_iterator("/sys/fs/cgroup", ec)) roots.push_back(d.path());
  for (const fs::path& root : roots) {
    const fs::path top = root.string() + path;
    if (!fs::is_directory(top, ec)) continue;
    // Children first (a cgroup directory's files cannot be removed, only empty cgroups rmdir'd).
    std::vector<fs::path> dirs;
    for (auto it = fs::recursive_directory_iterator(top, ec); it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_directory(ec)) dirs.push_back(it->path());
    }
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) rmdir(it->c_str());
    rmdir(top.c_str());
  }
}

}  // namespace goretain::test_support
