// The report: what the user sees, as data. Every output (table, JSON, and later pprof, metrics,
// HTML, the live view) renders only these types; nothing here knows BPF, the aggregator or a
// process. JSON is a contract (schema goretain.report/v1): fields are added, never removed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace goretain {

// What kind of allocation a call site made.
enum class Kind : uint8_t {
  kMapMake,    // make(map...) and map literals
  kMapGrow,    // a map's next tables or buckets (growth, overflow, clone)
  kSliceGrow,  // append beyond capacity (growslice)
  kSliceMake,  // make([]T, n[, m]) on the heap (makeslice, makeslicecopy)
  kOther,      // any other heap object (new(T), closures, strings...): --sample --kinds all, and
               // the runtime's heap profile read at attach
};

// "map.make" | "map.grow" | "slice.grow" | "slice.make": the names the JSON, the table and the
// tests use.
inline const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kMapMake: return "map.make";
    case Kind::kMapGrow: return "map.grow";
    case Kind::kSliceGrow: return "slice.grow";
    case Kind::kSliceMake: return "slice.make";
    case Kind::kOther: return "other";
  }
  return "unknown";
}

struct SourceFrame {
  std::string function;
  std::string file;
  int line = 0;
};

// Why a line is flagged leaking (analysis/leak_signal.h): over a window of the last `over_s`
// seconds, its retained bytes rose by `rise_bytes` (the median of the window's last third over
// that of its first), at `rate_bytes_per_s`.
struct LeakFinding {
  double rise_bytes = 0;
  double over_s = 0;
  double rate_bytes_per_s = 0;
};

// One return address of a call stack, as pprof's Location: the call instruction's PC (return
// address - 1, as Go's own profiles give non-leaf frames) and the source frames there, innermost
// first (frames inlined into the function first, the function that holds the code last).
struct StackPc {
  uint64_t pc = 0;  // in the executable's link-time (ELF vaddr) address space
  std::vector<SourceFrame> frames;
};

// A call site's retained bytes at one time of the trace (`t_s`: seconds since tracing began).
struct RetainedPoint {
  double t_s = 0;
  uint64_t bytes = 0;
};

// Where a traced process runs, for people and for metrics labels (empty strings: not known, or
// not in a container). From its cgroup path and its OCI bundle's annotations
// (userspace/targets/); no API server.
struct TargetLabels {
  std::string container_id;  // 64 hex digits as the runtime names it
  std::string pod;           // the pod's name
  std::string namespace_;    // the pod's Kubernetes namespace ("namespace" in JSON)
  std::string container;     // the container's name in its pod
  std::string runtime;       // "containerd", "cri-o", "docker", "podman", "runc"
  std::string pod_uid;       // with dashes
  bool operator==(const TargetLabels&) const = default;
};

// --sample: the runtime's own samples behind a row's estimates (as Go's heap profile counts
// them): sampled allocations, and those not freed as of the last GC cycle.
struct SampleCounts {
  uint64_t alloc_objects = 0;
  uint64_t inuse_objects = 0;
};

// What a call site retained before goretain attached: the target's own heap profile (its
// runtime's profile buckets, as of its last GC), read once at attach. Estimates unsampled as
// pprof does (1/(1-exp(-avg_size/rate)) per bucket); the raw sample counts beside them. Never
// added into a row's traced figures.
struct BeforeAttach {
  uint64_t inuse_objects = 0, inuse_bytes = 0;  // live as of the target's last GC
  uint64_t alloc_objects = 0, alloc_bytes = 0;  // allocated since the target started
  uint64_t inuse_samples = 0, alloc_samples = 0;
};

struct CallsiteRow {
  Kind kind = Kind::kMapMake;
  SourceFrame site;              // innermost frame outside the Go runtime
  std::string type;              // Go type name; empty if unknown
  uint64_t alloc_objects = 0;    // calls that allocated (maps made, growth steps, slice growths)
  uint64_t heap_objects = 0;     // heap allocations those calls made (mallocgc calls)
  uint64_t alloc_bytes = 0;
  uint64_t assigns = 0;          // map inserts at this line (--assigns only)
  // After GC: what this line's allocations still hold (nullopt: not every allocation here had
  // a known address, or no GC cycle was checked yet).
  std::optional<uint64_t> retained_objects;
  std::optional<uint64_t> retained_bytes;
  std::optional<double> retained_growth_bytes_per_s;
  bool leaking = false;
  std::optional<LeakFinding> leak;  // set exactly when `leaking`
  // Retained bytes over the whole trace, oldest first, at most kMaxRetainedHistory points
  // (coarser with age); empty when `retained_bytes` is unset.
  std::vector<RetainedPoint> retained_history;
  static constexpr size_t kMaxRetainedHistory = 64;
  std::vector<SourceFrame> stack;  // frames beyond `site`, outward (--stack-depth)
  // --sample: the raw samples; the figures above are then estimates unsampled from them.
  std::optional<SampleCounts> samples;
  // For pprof: the executable (a ReportTarget's exe) and the stack as PCs, the call site's first
  // (its frames start at `site`: runtime frames inlined into it are left out), then deeper ones.
  // One PC of the row's first part when several PCs share the row's source line.
  std::string exe;
  std::vector<StackPc> pcs;
  // The process these figures are from (rows are split by process: two processes of one
  // executable give two rows per line) and its labels (a copy of its ReportTarget's).
  int pid = 0;
  TargetLabels labels;
  std::optional<BeforeAttach> before_attach;  // the row's figures from before attach, if any
  // The row's process exited: its figures are frozen as they were when it did
  // (analysis/exited_processes.h). `folded_processes` > 0: a row of exited processes folded
  // together beyond --max-exited, without a pid (pid 0), summing that many processes' rows.
  bool exited = false;
  uint64_t folded_processes = 0;
};

struct ReportTarget {
  int pid = 0;  // in goretain's PID namespace (the host's, for a node agent)
  std::string exe;
  std::string go_version;
  // The executable as pprof's Mapping: its build ID (GNU build ID in hex, else Go's build ID;
  // empty if none) and its code segment, in the ELF vaddr space the rows' PCs use.
  std::string build_id;
  uint64_t text_start = 0;
  uint64_t text_limit = 0;
  uint64_t text_file_offset = 0;
  int ns_pid = 0;  // in the process's own (innermost) PID namespace: NSpid's last field
  TargetLabels labels;
  bool exited = false;  // it exited while traced; its rows are frozen (ExitedProcesses)
};

// Where the rows' `before_attach` figures come from (one traced process).
struct BeforeAttachSource {
  int pid = 0;
  int64_t mem_profile_rate = 0;     // the target's runtime.MemProfileRate at attach
  bool profile_reader_linked = false;  // false: the binary cannot write a heap profile, so its
                                       // runtime disabled profiling (rate 0, nothing sampled)
  uint64_t buckets = 0;             // profile buckets read
  bool truncated = false;           // the bucket list was cut at the cap
  std::string note;                 // one line for people
};

// --max-callsites: distinct call sites beyond the cap are folded into one "(other)" row per kind.
struct FoldedCallsites {
  uint64_t callsites = 0;    // distinct call sites folded (counted exactly up to a bound)
  bool callsites_at_least = false;  // the count stopped at its bound: at least that many
  uint64_t allocations = 0;  // allocations folded
};

// Processes that exited while followed (analysis/exited_processes.h): the newest keep their rows
// and target, with their pid, up to --max-exited; older ones are folded into rows without a pid.
struct ExitedProcessCounts {
  uint64_t processes = 0;  // exited since tracing began
  uint64_t kept = 0;       // with their own rows and target in this report
  uint64_t folded = 0;     // folded into rows without a pid (their targets dropped)
  // Folded rows beyond the row bound (--max-callsites), merged further into one "(other)" row
  // per kind.
  uint64_t rows_folded_into_other = 0;
};

struct Report {
  // "exact": every map and slice allocation probed; "sampled" (--sample): the runtime's heap
  // profile samples, unsampled at `sample_rate` (runtime.MemProfileRate) bytes.
  std::string mode = "exact";
  std::optional<uint64_t> sample_rate;
  double elapsed_s = 0;
  int64_t unix_time_ns = 0;  // wall clock when the report was built (its start: minus elapsed_s)
  std::vector<ReportTarget> targets;
  std::optional<uint64_t> gc_cycles;  // completed GC cycles seen while tracing
  uint64_t events_received = 0;
  uint64_t events_dropped = 0;
  bool assigns_counted = false;  // --assigns: per-call-site map insert counts are meaningful
  // What tracing cost goretain itself (its own process, not the target).
  double tracer_cpu_s = 0;
  // Liveness checks run (one per GC cycle, or one for several when they come faster) and the
  // objects tracked for them now.
  uint64_t liveness_checks = 0;
  uint64_t tracked_objects = 0;
  double liveness_last_check_ms = 0;
  double liveness_max_check_ms = 0;
  uint64_t tracer_max_rss_kb = 0;
  std::vector<CallsiteRow> callsites;  // leaking rows first, then by alloc_bytes, descending
  std::optional<BeforeAttachSource> before_attach;  // set when the profile was read at attach
  FoldedCallsites folded;
  ExitedProcessCounts exited;
};

}  // namespace goretain
