// The harness's check that goretain left no BPF program, map or link behind (bpftool's view of
// the kernel, and which live processes hold each object's fd).
#include "harness.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace e2e {


namespace {

std::string Bpftool() {
  for (const char* p : {"/usr/sbin/bpftool", "/usr/bin/bpftool", "/usr/local/sbin/bpftool"})
    if (access(p, X_OK) == 0) return p;
  return "bpftool";
}

json BpftoolJson(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {Bpftool(), "-j"};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p = RunToEnd(argv, 20s);
  if (p.exit_code() != 0) throw std::runtime_error("bpftool failed:\n" + p.Describe());
  std::string out = p.Stdout();
  if (out.find_first_not_of(" \n\t") == std::string::npos) return json::array();
  return json::parse(out);
}

std::vector<pid_t> Owners(const json& obj) {
  std::vector<pid_t> pids;
  if (obj.contains("pids") && obj["pids"].is_array())
    for (const auto& p : obj["pids"])
      if (p.contains("pid")) pids.push_back(p["pid"].get<pid_t>());
  return pids;
}

// Live holders of BPF objects from /proc/*/fdinfo (prog fds show "prog_id:", link fds also
// "link_id:"), for bpftools built without the "pids" field.
struct FdHolders {
  std::map<int64_t, std::vector<pid_t>> progs, links;
};

FdHolders ScanFdHolders() {
  FdHolders h;
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    const std::string name = proc.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    std::error_code ec2;
    for (const auto& fd : fs::directory_iterator(proc.path() / "fd", ec2)) {
      std::error_code ec3;
      std::string target = fs::read_symlink(fd.path(), ec3).string();
      if (ec3 || target.find("bpf") == std::string::npos) continue;
      std::istringstream info(ReadFile(proc.path() / "fdinfo" / fd.path().filename()));
      int64_t prog_id = -1, link_id = -1;
      for (std::string line; std::getline(info, line);) {
        if (line.rfind("prog_id:", 0) == 0) prog_id = std::stoll(line.substr(8));
        if (line.rfind("link_id:", 0) == 0) link_id = std::stoll(line.substr(8));
      }
      if (link_id >= 0) h.links[link_id].push_back(pid);
      else if (prog_id >= 0) h.progs[prog_id].push_back(pid);
    }
  }
  return h;
}

bool IsGoretainProgName(const std::string& name) {
  // Every goretain program is named gr_* (gr_alloc_probe); bpftool may truncate to 15 chars.
  return name.rfind("gr_", 0) == 0;
}

// True if the object is held by another goretain that is still running (e.g. a developer's, at
// the same time as the suite). Held by anything else (e.g. a traced command that inherited the
// fd) or by nobody, it is a leftover.
bool HeldByLiveGoretain(const BpfObject& o) {
  for (pid_t p : o.owners) {
    if (kill(p, 0) != 0) continue;
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/" + std::to_string(p) + "/exe", ec);
    if (ec || exe.filename() != "goretain") continue;
    // A zombie holds no file descriptors; /proc/PID/stat's state field tells.
    std::string stat = ReadFile("/proc/" + std::to_string(p) + "/stat");
    size_t rp = stat.rfind(')');
    if (rp != std::string::npos && rp + 2 < stat.size() && stat[rp + 2] == 'Z') continue;
    return true;
  }
  return false;
}

}  // namespace

BpfObjects GoretainBpfObjects() {
  BpfObjects r;
  std::set<int64_t> prog_ids;
  for (const auto& p : BpftoolJson({"prog", "show"})) {
    if (!IsGoretainProgName(p.value("name", ""))) continue;
    r.progs.push_back({p["id"].get<int64_t>(), Owners(p)});
    prog_ids.insert(p["id"].get<int64_t>());
  }
  for (const auto& l : BpftoolJson({"link", "show"})) {
    if (!l.contains("prog_id") || !prog_ids.count(l["prog_id"].get<int64_t>())) continue;
    r.links.push_back({l["id"].get<int64_t>(), Owners(l)});
  }
  bool need_scan = false;
  for (const auto* v : {&r.progs, &r.links})
    for (const auto& o : *v) need_scan |= o.owners.empty();
  if (need_scan) {
    FdHolders h = ScanFdHolders();
    for (auto& o : r.progs)
      if (o.owners.empty() && h.progs.count(o.id)) o.owners = h.progs[o.id];
    for (auto& o : r.links)
      if (o.owners.empty() && h.links.count(o.id)) o.owners = h.links[o.id];
  }
  return r;
}

std::string LeftoverBpf(const BpfObjects& before, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto known = [](const std::vector<BpfObject>& v, int64_t id) {
    return std::any_of(v.begin(), v.end(), [&](const BpfObject& o) { return o.id == id; });
  };
  for (;;) {
    BpfObjects now = GoretainBpfObjects();
    std::ostringstream s;
    for (const auto& p : now.progs)
      if (!known(before.progs, p.id) && !HeldByLiveGoretain(p)) s << "prog id " << p.id << "; ";
    for (const auto& l : now.links)
      if (!known(before.links, l.id) && !HeldByLiveGoretain(l)) s << "link id " << l.id << "; ";
    if (s.str().empty() || std::chrono::steady_clock::now() >= deadline) return s.str();
    std::this_thread::sleep_for(100ms);
  }
}

}  // namespace e2e
