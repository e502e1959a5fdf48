// TraceSession's following of processes (--cgroup, --all, goretain agent): the part of the
// session that attaches to Go processes as they appear in the selection and drops them as they
// exit. One set of probes per executable (LoadExecutable reuses it), one BPF target entry per
// process; an exited process is retired (session/retire_process.cpp): its rows and last
// retained figures stay in the report, bounded by --max-exited.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "userspace/session/trace_session.h"

namespace goretain {
namespace {

std::string DescribeSelection(const FollowOptions& f) {
  if (f.all) return "every Go process";
  return fmt::format("cgroup{} {}", f.cgroups.size() > 1 ? "s" : "", fmt::join(f.cgroups, ", "));
}

}  // namespace

Status TraceSession::SetupFollow() {
  auto follower = ProcessFollower::Create(opts_.follow);
  if (!follower) return follower.error();
  follower_ = std::move(*follower);
  ScanFollowed();
  return Ok{};
}

Status TraceSession::FollowSelection(const std::vector<targets::SelectedProcess>& selected) {
  for (const targets::SelectedProcess& p : selected) {
    std::vector<std::string>& cgroups = opts_.follow.cgroups;
    if (!p.follow_cgroup.empty() &&
        std::find(cgroups.begin(), cgroups.end(), p.follow_cgroup) == cgroups.end()) {
      cgroups.push_back(p.follow_cgroup);
    }
  }
  if (!opts_.follow.enabled()) return Ok{};  // only --pid (or --all, followed by none)
  auto follower = ProcessFollower::Create(opts_.follow);
  if (!follower) return follower.error();
  follower_ = std::move(*follower);
  return Ok{};
}

void TraceSession::ScanFollowed() {
  // The exec watcher is live before the scan: a process exec'd during it is seen by one or the
  // other (or both: AttachFollowed ignores a PID it already follows).
  for (pid_t pid : follower_->ScanProc()) AttachFollowed(pid, /*just_exec=*/false);
  attached_lines_.push_back(fmt::format(
      "goretain: following {}: {} Go process{} traced, new ones attached as they start\n",
      DescribeSelection(opts_.follow), followed_.size(), followed_.size() == 1 ? "" : "es"));
}

void TraceSession::AttachFollowed(pid_t pid, bool just_exec) {
  const bool known = std::find(followed_.begin(), followed_.end(), pid) != followed_.end();
  if (known && !just_exec) return;
  auto info = InspectProcess(pid);
  if (!info) {
    spdlog::debug("pid {}: skipped: {}", pid, info.error().message);
    return;
  }
  if (known) {
    // The same process ran execve again: a new image (maybe not Go), a new load bias. The old
    // image's rows are final: retired as if it had exited.
    RetireProcess(pid);
    std::erase(followed_, pid);
  }
  if (std::find(not_go_.begin(), not_go_.end(), info->exe_id) != not_go_.end()) {
    spdlog::debug("pid {} ({}): skipped: not a Go program", pid, info->exe_path);
    return;
  }
  if (std::find(refused_.begin(), refused_.end(), info->exe_id) != refused_.end()) {
    spdlog::debug("pid {} ({}): skipped: its executable was refused before", pid, info->exe_path);
    return;
  }
  // Right after execve the Go heap does not exist yet: the heap reader validates at its first
  // check (as for a launched command).
  const Status s = AttachProcess(pid, /*runtime_started=*/!just_exec);
  if (!s) {
    if (s.error().code == ErrorCode::kNotGo) {
      not_go_.push_back(info->exe_id);
      spdlog::debug("pid {} ({}): skipped: not a Go program", pid, info->exe_path);
    } else if (s.error().code == ErrorCode::kNotFound) {
      spdlog::debug("pid {}: gone before it could be attached", pid);
    } else if (s.error().code == ErrorCode::kUnsupported || s.error().code == ErrorCode::kBadInput) {
      // A property of the file (unsupported Go release, corrupt tables): said once per
      // executable, not once per process running it.
      refused_.push_back(info->exe_id);
      spdlog::warn("{} (pid {}): not traced: {}", info->exe_path, pid, s.error().message);
    } else {
      spdlog::warn("pid {} ({}): not traced: {}", pid, info->exe_path, s.error().message);
    }
    return;
  }
  followed_.push_back(pid);
  follower_->Watch(pid);
  if (tracing_) {  // during the attach phase, Run prints the lines once every probe is live
    for (const std::string& line : attached_lines_) fmt::print(stderr, "{}", line);
    attached_lines_.clear();
  }
}

void TraceSession::PollFollowed() {
  for (pid_t pid : follower_->TakeExecs(0)) AttachFollowed(pid, /*just_exec=*/true);
  for (pid_t pid : follower_->TakeExited()) {
    // Its rows and last figures stay in the report, frozen; its live state is freed.
    RetireProcess(pid);
    std::erase(followed_, pid);
  }
}

}  // namespace goretain
