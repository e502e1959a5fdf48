// TraceOptions: what one trace session is asked to do (filled by cli/options.cpp from argv).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "userspace/model/live_report.h"
#include "userspace/output/report_writer.h"
#include "userspace/targets/host_paths.h"
#include "userspace/targets/selection.h"
#include "userspace/session/follow_options.h"

namespace goretain {

struct TraceOptions {
  // --pid (repeatable), --container, --pod, --pod-uid, --cgroup, --all: resolved to PIDs by one
  // /proc scan when the session starts (userspace/targets/selection.h). Empty: `command`.
  targets::TargetSelection select;
  targets::HostPaths host;
  std::vector<std::string> command;       // after --
  double duration_s = 0;                  // 0 = until the target exits or a signal
  double interval_s = 0;                  // 0 = one final report
  OutputFormat format = OutputFormat::kTable;
  std::string output_path;                // empty = stdout
  // Further outputs of the same reports (-f F1 -o P1 -f F2 -o P2: the i-th -f goes with the i-th -o).
  std::vector<std::pair<OutputFormat, std::string>> more_outputs;
  size_t top = 0;                         // 0 = all call sites
  uint32_t stack_depth = 0;               // frames beyond the call site in the JSON stack
  // Ring buffer in MiB (--ringbuf-mb); 0 = the mode's default, RingbufMb() below: exact mode's
  // events come at the allocation rate, sampled mode's about once per 512 KiB allocated, so a
  // small buffer keeps a long-lived --sample (the agent) small (the kernel maps the buffer's pages
  // twice: they count twice in goretain's RSS).
  uint32_t ringbuf_mb = 0;
  bool assigns = false;                   // --assigns: probe every map insert
  bool retained = true;                   // retained bytes after GC, leak signal (--no-retained: off)
  bool verbose = false;
  // --sample: ride the Go runtime's own heap-profile sampler (estimates, ~1% cost) instead of
  // probing every map and slice allocation (exact figures).
  bool sample = false;
  // --kinds all: with --sample, also report heap objects of other kinds (`other`).
  bool all_kinds = false;
  // --enable-sampling[=BYTES]: in --sample mode, a target running with MemProfileRate 0 gets
  // this rate written once (the only write goretain makes to a target); 0 = not asked.
  int64_t enable_sampling_bytes = 0;
  // --max-callsites: distinct call sites kept; the rest folded into one "(other)" row per kind.
  size_t max_callsites = 10000;
  // --max-exited: followed processes that exited keep their own rows (with their pid) up to
  // this many, the newest; older ones are folded into rows without a pid, and counted
  // (analysis/exited_processes.h; ExitedProcesses::kDefaultMaxKept).
  size_t max_exited = 32;
  // Readers on other threads (--listen, goretain top): when set, the event loop publishes a report
  // here every `live_period_s` while tracing (less often when building one takes over 1/20 of
  // that: the event loop stays free for events), and the final one at the end. Not owned.
  LiveReport* live = nullptr;
  double live_period_s = 1.0;
  // --cgroup, --all, goretain agent: follow processes as they start and exit (follow_options.h).
  FollowOptions follow;
};

inline constexpr uint32_t kExactRingbufMb = 32;   // the default of exact mode
inline constexpr uint32_t kSampledRingbufMb = 4;  // the default of --sample (and the agent)

// The ring buffer size a session uses: --ringbuf-mb if given, else its mode's default.
inline uint32_t RingbufMb(const TraceOptions& t) {
  if (t.ringbuf_mb != 0) return t.ringbuf_mb;
  return t.sample ? kSampledRingbufMb : kExactRingbufMb;
}

}  // namespace goretain
