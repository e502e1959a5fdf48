#include "userspace/session/report_builder.h"

#include <elf.h>
#include <sys/resource.h>

#include <chrono>

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
  r.callsites = in.aggregator->Rows();
  r.folded = in.aggregator->folded();
  if (in.before_rows) MergeBeforeAttach(r.callsites, *in.before_rows);
  if (in.before_source) r.before_attach = *in.before_source;
  AddTracerCost(r);
  r.assigns_counted = in.assigns_counted;
  r.liveness_checks = in.retention->checks();
  r.tracked_objects = in.retention->tracked_objects();
  r.liveness_last_check_ms = in.retention->last_check_seconds() * 1000;
  r.liveness_max_check_ms = in.retention->max_check_seconds() * 1000;
  return r;
}

}  // namespace goretain
