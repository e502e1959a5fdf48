#include "userspace/session/process_follower.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <spdlog/spdlog.h>

#include "userspace/process/cgroup2.h"

namespace goretain {

Result<std::unique_ptr<ProcessFollower>> ProcessFollower::Create(const FollowOptions& options) {
  std::unique_ptr<ProcessFollower> f(new ProcessFollower(options));
  std::vector<uint64_t> ids;
  if (!options.all) {
    auto mount = Cgroup2Mount();
    if (!mount) return mount.error();
    f->mount_ = *mount;
    for (const std::string& path : options.cgroups) {
      auto id = Cgroup2Id(*mount, path);
      if (!id) return id.error();
      ids.push_back(*id);
      f->cgroup_paths_.push_back(path.empty() || path[0] != '/' ? "/" + path : path);
      spdlog::debug("following cgroup {} (id {})", path, *id);
    }
  }
  ProcessFollower* self = f.get();
  auto watcher = ExecWatcher::Create(options.all, [self](const ExecEvent& e) {
    self->execs_seen_++;
    spdlog::debug("exec: pid {} in cgroup {} (selected cgroup {})", e.tgid, e.cgroup_id,
                  e.matched_id);
    self->execs_.push_back(static_cast<pid_t>(e.tgid));
  });
  if (!watcher) return watcher.error();
  f->watcher_ = std::move(*watcher);
  for (uint64_t id : ids) {
    if (auto s = f->watcher_->WatchCgroup(id); !s) return s.error();
  }
  return f;
}

std::vector<pid_t> ProcessFollower::ScanProc() const {
  std::vector<pid_t> pids;
  if (!options_.all) {
    for (const std::string& path : cgroup_paths_) {
      for (pid_t pid : Cgroup2Procs(mount_, path)) pids.push_back(pid);
    }
  } else if (DIR* proc = opendir("/proc")) {
    while (dirent* d = readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(d->d_name, &end, 10);
      if (*end == '\0' && pid > 0) pids.push_back(static_cast<pid_t>(pid));
    }
    closedir(proc);
  }
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());  // nested selections
  std::erase(pids, getpid());
  return pids;
}

std::vector<pid_t> ProcessFollower::TakeExecs(int timeout_ms) {
  if (auto n = watcher_->Poll(timeout_ms); !n) spdlog::warn("{}", n.error().message);
  std::vector<pid_t> out;
  out.swap(execs_);
  const pid_t self = getpid();
  std::erase(out, self);
  return out;
}

void ProcessFollower::Watch(pid_t pid) { exits_[pid] = std::make_unique<ExitWatcher>(pid); }

std::vector<pid_t> ProcessFollower::TakeExited() {
  std::vector<pid_t> gone;
  for (auto it = exits_.begin(); it != exits_.end();) {
    if (it->second->Exited()) {
      gone.push_back(it->first);
      it = exits_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

}  // namespace goretain
