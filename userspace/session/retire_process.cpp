// TraceSession's retiring of processes that exited (issue 13: "processes that exit are dropped and
// their final figures kept in the report", with memory bounded for an agent that runs for days
// while the services it traces restart). A retired process's rows are computed once, as the
// report showed them, and handed to ExitedProcesses (bounded: --max-exited, counted folding);
// everything else of it is freed here, so its call sites no longer count against
// --max-callsites and nothing per process grows with the number of processes that came and went.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "userspace/analysis/before_attach.h"
#include "userspace/session/trace_session.h"

namespace goretain {

void TraceSession::RetireProcess(pid_t pid) {
  (void)tracer_->Drain();  // what it sent before it exited still counts
  tracer_->RemoveTarget(static_cast<uint32_t>(pid));
  const int dropped = tracer_->DropPending(static_cast<uint32_t>(pid));
  // Its final rows: the sampler's in sampled mode (the exact aggregator only knows the process
  // there, which it forgets too), each with the figures from before attach merged as the report
  // merges them.
  std::vector<CallsiteRow> rows = aggregator_->RetireProcess(pid);
  if (sampler_) rows = sampler_->RetireProcess(pid);
  std::vector<CallsiteRow> before;
  for (auto it = before_rows_.begin(); it != before_rows_.end();) {
    if (it->pid == static_cast<int>(pid)) {
      before.push_back(std::move(*it));
      it = before_rows_.erase(it);
    } else {
      ++it;
    }
  }
  MergeBeforeAttach(rows, before);
  auto target = std::find_if(targets_.begin(), targets_.end(),
                             [&](const ReportTarget& t) { return t.pid == static_cast<int>(pid); });
  if (target == targets_.end()) return;  // never fully attached: nothing was reported of it
  for (CallsiteRow& row : rows) {
    row.pid = static_cast<int>(pid);
    row.labels = target->labels;
  }
  spdlog::debug("pid {} exited: {} rows kept as its final figures ({} pending events dropped)",
                pid, rows.size(), dropped);
  exited_->Add(std::move(*target), std::move(rows));
  targets_.erase(target);
}

void TraceSession::RetireExitedWatched() {
  // Without a follower the session ends with its report when the last one exits: retire only
  // while others still run. With one (a --pid beside a followed selection), always.
  if (watched_.empty() || (!follower_ && (watched_.size() < 2 || TargetExited()))) return;
  for (Watched& w : watched_) {
    if (!w.retired && w.watcher->Exited()) {
      w.retired = true;
      RetireProcess(w.pid);
    }
  }
}

}  // namespace goretain
