#include "userspace/session/report_builder.h"

#include <elf.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "symbols/build_id.h"
#include "userspace/analysis/before_attach.h"

namespace goretain {
namespace {

// goretain's own cost (never the traced command's: RUSAGE_SELF).
void AddTracerCost(Report& r) {
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return;
  r.tracer_cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                   static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  r.tracer_max_rss_kb = static_cast<uint64_t>(usage.ru_maxrss);
}

// The rows and targets of processes that exited (their labels already set), after the live
// ones: leaking first, then by bytes allocated, as the live rows are ordered.
void AppendExited(Report& r, const ExitedProcesses& exited) {
  const size_t live = r.callsites.size();
  exited.AppendTo(r);
  std::stable_sort(r.callsites.begin() + static_cast<std::ptrdiff_t>(live), r.callsites.end(),
                   [](const CallsiteRow& a, const CallsiteRow& b) {
                     if (a.leaking != b.leaking) return a.leaking;
                     return a.alloc_bytes > b.alloc_bytes;
                   });
}

}  // namespace

void AddExecutableFacts(const symbols::ElfFile& elf, ReportTarget& t) {
  t.build_id = symbols::ReadBuildId(elf);
  for (const symbols::ElfSegment& seg : elf.load_segments()) {
    if (!(seg.flags & PF_X)) continue;
    t.text_start = seg.vaddr.value;
    t.text_limit = seg.vaddr.value + seg.memsz;
    t.text_file_offset = seg.offset.value;
    return;  // Go's linker writes one executable segment
  }
}

Report BuildSessionReport(const ReportInputs& in) {
  Report r;
  r.elapsed_s = in.elapsed_s;
  r.unix_time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  r.targets = *in.targets;
  r.events_received = in.aggregator->received();
  r.gc_cycles = in.aggregator->gc_cycles();
  r.events_dropped = in.events_dropped;
  if (!in.sampler) {
    r.callsites = in.aggregator->Rows();
    r.folded = in.aggregator->folded();
  }
  AddTracerCost(r);
  r.assigns_counted = in.assigns_counted;
  r.liveness_checks = in.retention->checks();
  r.tracked_objects = in.retention->tracked_objects();
  r.liveness_last_check_ms = in.retention->last_check_seconds() * 1000;
  r.liveness_max_check_ms = in.retention->max_check_seconds() * 1000;
  if (in.sampler) {
    r.mode = "sampled";
    r.sample_rate = in.sampler->ReportedRate().value_or(SampleAggregator::kDefaultRate);
    r.events_received = in.sampler->received();
    r.gc_cycles = in.sampler->gc_cycles();
    r.callsites = in.sampler->Rows();
    r.folded = in.sampler->folded();
  }
  // What each process retained before attach, beside (never into) the traced figures.
  if (in.before_rows) MergeBeforeAttach(r.callsites, *in.before_rows);
  if (in.before_source) r.before_attach = *in.before_source;
  // Every row carries its process's labels (for metrics and per-pod views).
  std::unordered_map<int, const TargetLabels*> labels;
  for (const ReportTarget& t : r.targets) labels[t.pid] = &t.labels;
  for (CallsiteRow& row : r.callsites) {
    if (auto it = labels.find(row.pid); it != labels.end()) row.labels = *it->second;
  }
  if (in.exited) AppendExited(r, *in.exited);
  return r;
}

}  // namespace goretain
