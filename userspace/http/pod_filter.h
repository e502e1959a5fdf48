// ?pod=NAMESPACE/NAME on /metrics and the pprof endpoints (/debug/pprof/heap, /allocs): the
// report cut down to one pod's processes, for a node agent that traces many pods.
//
// A filtered report is rendered for its request alone, never through the endpoints' render
// caches (one body per published report: a filtered body there would be served to the
// unfiltered scrapes of the same report).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "userspace/model/report.h"

namespace goretain {

struct PodFilter {
  std::string namespace_;
  std::string name;
};

// "NAMESPACE/NAME" (both non-empty, one slash), or nullopt.
std::optional<PodFilter> ParsePodFilter(std::string_view value);

// The report with only the targets and rows whose labels name this pod (rows of processes
// outside pods, or of other pods, are left out). Everything else (elapsed time, GC cycles,
// event counters, folded call sites) is the whole session's, unchanged.
Report FilterByPod(const Report& report, const PodFilter& pod);

}  // namespace goretain
