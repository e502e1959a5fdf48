#include "userspace/analysis/exited_processes.h"

#include <utility>

namespace goretain {
namespace {

void AddOptional(std::optional<uint64_t>& into, const std::optional<uint64_t>& part) {
  if (part) into = into.value_or(0) + *part;
}

}  // namespace

void AddRowFigures(CallsiteRow& into, const CallsiteRow& part) {
  into.alloc_objects += part.alloc_objects;
  into.heap_objects += part.heap_objects;
  into.alloc_bytes += part.alloc_bytes;
  into.assigns += part.assigns;
  // A dead process's figures are its last ones: the folded row sums those that had one.
  AddOptional(into.retained_objects, part.retained_objects);
  AddOptional(into.retained_bytes, part.retained_bytes);
  if (part.retained_growth_bytes_per_s) {
    into.retained_growth_bytes_per_s =
        into.retained_growth_bytes_per_s.value_or(0) + *part.retained_growth_bytes_per_s;
  }
  if (part.leak && (!into.leak || part.leak->rise_bytes > into.leak->rise_bytes)) {
    into.leak = part.leak;
  }
  into.leaking = into.leaking || part.leaking;
  if (part.samples) {
    SampleCounts& s = into.samples ? *into.samples : into.samples.emplace();
    s.alloc_objects += part.samples->alloc_objects;
    s.inuse_objects += part.samples->inuse_objects;
  }
  if (part.before_attach) {
    BeforeAttach& b = into.before_attach ? *into.before_attach : into.before_attach.emplace();
    const BeforeAttach& p = *part.before_attach;
    b.inuse_objects += p.inuse_objects;
    b.inuse_bytes += p.inuse_bytes;
    b.alloc_objects += p.alloc_objects;
    b.alloc_bytes += p.alloc_bytes;
    b.inuse_samples += p.inuse_samples;
    b.alloc_samples += p.alloc_samples;
  }
}

void ExitedProcesses::Add(ReportTarget target, std::vector<CallsiteRow> rows) {
  counts_.processes++;
  target.exited = true;
  for (CallsiteRow& row : rows) row.exited = true;
  kept_rows_ += rows.size();
  kept_.push_back(Kept{std::move(target), std::move(rows)});
  while (!kept_.empty() && (kept_.size() > max_kept_ || kept_rows_ > max_rows_)) FoldOldest();
  counts_.kept = kept_.size();
}

void ExitedProcesses::FoldOldest() {
  Kept& oldest = kept_.front();
  const uint64_t serial = ++serial_;
  for (const CallsiteRow& row : oldest.rows) Fold(row, serial);
  kept_rows_ -= oldest.rows.size();
  kept_.pop_front();
  counts_.folded++;
}

void ExitedProcesses::Fold(const CallsiteRow& row, uint64_t serial) {
  const TargetLabels& l = row.labels;
  FoldKey key{row.exe,          l.container_id,     l.pod,     l.namespace_,
              l.container,      l.runtime,          l.pod_uid, static_cast<int>(row.kind),
              row.site.function, row.site.file,     row.site.line, row.type};
  auto it = folded_.find(key);
  if (it == folded_.end() && folded_.size() >= max_rows_) {
    // Beyond the row bound: one "(other)" row per kind, with no executable or labels.
    counts_.rows_folded_into_other++;
    key = FoldKey{"", "", "", "", "", "", "", static_cast<int>(row.kind), "(other)", "", 0, ""};
    it = folded_.find(key);
    if (it == folded_.end()) {
      CallsiteRow other;
      other.kind = row.kind;
      other.site = SourceFrame{"(other)", "", 0};
      other.exited = true;
      it = folded_.emplace(key, Folded{std::move(other), 0}).first;
    }
  }
  if (it == folded_.end()) {
    CallsiteRow first;  // the first part's identity (its stack and PCs for pprof), no figures
    first.kind = row.kind;
    first.site = row.site;
    first.type = row.type;
    first.stack = row.stack;
    first.exe = row.exe;
    first.pcs = row.pcs;
    first.labels = row.labels;
    first.exited = true;
    it = folded_.emplace(key, Folded{std::move(first), 0}).first;
  }
  Folded& f = it->second;
  AddRowFigures(f.row, row);
  f.row.retained_history.clear();  // one process's series over time: not summed across processes
  if (f.last_process != serial) {
    f.last_process = serial;
    f.row.folded_processes++;
  }
}

void ExitedProcesses::AppendTo(Report& r) const {
  for (const Kept& k : kept_) {
    r.targets.push_back(k.target);
    r.callsites.insert(r.callsites.end(), k.rows.begin(), k.rows.end());
  }
  for (const auto& [key, f] : folded_) r.callsites.push_back(f.row);
  r.exited = counts_;
}

}  // namespace goretain
