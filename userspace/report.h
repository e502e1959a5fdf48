// Report: what the user sees, and its two renderings.
//
// JSON is a contract (schema goretain.report/v1): later versions add fields, never remove or
// rename them. With --interval, one JSON object per line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "userspace/aggregator.h"

namespace goretain {

struct ReportTarget {
  int pid = 0;
  std::string exe;
  std::string go_version;
};

struct Report {
  double elapsed_s = 0;
  std::vector<ReportTarget> targets;
  std::optional<uint64_t> gc_cycles;  // completed GC cycles seen while tracing
  uint64_t events_received = 0;
  uint64_t events_dropped = 0;
  bool assigns_counted = false;
  // What tracing cost goretain itself (its own process, not the target).
  double tracer_cpu_s = 0;
  // Liveness checks run (one per GC cycle, or one for several when they come faster) and the
  // objects tracked for them now.
  uint64_t liveness_checks = 0;
  uint64_t tracked_objects = 0;
  double liveness_last_check_ms = 0;
  double liveness_max_check_ms = 0;
  uint64_t tracer_max_rss_kb = 0;  // --assigns: per-call-site map insert counts are meaningful
  std::vector<CallsiteRow> callsites;  // sorted by alloc_bytes, descending
};

// "map.make" | "map.grow" | "slice.grow"
const char* KindName(gr_kind kind);

// 1536 -> "1.5 KiB"; below 1 KiB exact bytes ("48 B").
std::string HumanBytes(uint64_t bytes);

// One JSON object on one line, callsites limited to `top` (0 = all).
std::string RenderJson(const Report& report, size_t top);

// Aligned columns for people, callsites limited to `top` (0 = all).
std::string RenderTable(const Report& report, size_t top);

}  // namespace goretain
