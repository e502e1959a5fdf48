// ExitedProcesses: what the report keeps of followed processes that exited, bounded however many
// exit over days (a node agent tracing services that restart).
//
// When a process exits, the session retires it: its rows are computed once, as the report showed
// them (pid and labels set), its live state is freed in the aggregators, and its target and rows
// come here, frozen. The newest `max_kept` processes keep their rows and target individually,
// with their pid, as long as their rows number at most `max_rows`; older ones are folded, in exit
// order, into rows without a pid, merged by (executable, labels, kind, function, file, line,
// type): figures summed, flagged leaking if any part leaked, `folded_processes` counting the
// processes in each. Folded processes' targets are dropped (counted). At most `max_rows` folded
// rows exist: a fold that would make more merges into one "(other)" row per kind (counted too).
// So memory is bounded by 2 x max_rows rows and max_kept targets. Pure data: no process, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "userspace/model/report.h"

namespace goretain {

class ExitedProcesses {
 public:
  static constexpr size_t kDefaultMaxKept = 32;

  // `max_kept`: processes kept with their pid (--max-exited; 0 folds every exited process);
  // `max_rows`: rows kept individually, and folded rows, each at most (--max-callsites).
  ExitedProcesses(size_t max_kept, size_t max_rows) : max_kept_(max_kept), max_rows_(max_rows) {}

  // A process that exited, newest: its target and its final rows (each with its pid and labels).
  void Add(ReportTarget target, std::vector<CallsiteRow> rows);

  // Appends the kept targets (exited = true), the kept rows and the folded rows to `r`, and sets
  // r.exited. Rows are appended unsorted (the caller sorts).
  void AppendTo(Report& r) const;

  const ExitedProcessCounts& counts() const { return counts_; }
  size_t kept_rows() const { return kept_rows_; }
  size_t folded_rows() const { return folded_.size(); }

 private:
  struct Kept {
    ReportTarget target;
    std::vector<CallsiteRow> rows;
  };
  // (exe, container_id, pod, namespace, container, runtime, pod_uid, kind, function, file, line,
  // type)
  using FoldKey = std::tuple<std::string, std::string, std::string, std::string, std::string,
                             std::string, std::string, int, std::string, std::string, int,
                             std::string>;
  struct Folded {
    CallsiteRow row;
    uint64_t last_process = 0;  // serial of the last process merged in (counted once each)
  };

  void FoldOldest();
  void Fold(const CallsiteRow& row, uint64_t serial);

  size_t max_kept_, max_rows_;
  std::deque<Kept> kept_;  // oldest first
  size_t kept_rows_ = 0;
  std::map<FoldKey, Folded> folded_;
  uint64_t serial_ = 0;
  ExitedProcessCounts counts_;
};

// Adds `part`'s figures into `into` (same call site): counts and bytes summed, retained figures
// summed over the parts that have one, leaking if either leaks (the larger rise kept).
void AddRowFigures(CallsiteRow& into, const CallsiteRow& part);

}  // namespace goretain
