// Building a model::Report from what a trace session has: the aggregator's rows, the retention
// tracker's liveness figures, the tracer's counters, and goretain's own CPU and memory cost.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "symbols/elf_file.h"
#include "userspace/analysis/aggregator.h"
#include "userspace/analysis/exited_processes.h"
#include "userspace/analysis/retention.h"
#include "userspace/analysis/sample_aggregator.h"
#include "userspace/model/report.h"

namespace goretain {

struct ReportInputs {
  double elapsed_s = 0;
  const std::vector<ReportTarget>* targets = nullptr;
  const Aggregator* aggregator = nullptr;
  // --sample: the rows and figures come from here instead of `aggregator`.
  const SampleAggregator* sampler = nullptr;
  const RetentionTracker* retention = nullptr;
  uint64_t events_dropped = 0;
  bool assigns_counted = false;
  // What the target retained before attach (rows with only `before_attach` set), and where it
  // came from; null/empty when it was not read.
  const std::vector<CallsiteRow>* before_rows = nullptr;
  const std::optional<BeforeAttachSource>* before_source = nullptr;
  // Processes that exited: their frozen rows and targets, after the live ones (may be null).
  const ExitedProcesses* exited = nullptr;
};

// The target's build ID and code segment (for pprof's Mapping), read from its executable.
void AddExecutableFacts(const symbols::ElfFile& elf, ReportTarget& t);

// A cumulative report as of now (call sites resolved and merged by the aggregator).
Report BuildSessionReport(const ReportInputs& in);

}  // namespace goretain
