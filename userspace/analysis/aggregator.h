// Aggregator: turns ring buffer events into per-call-site totals.
//
// Hot path (OnEvent, up to millions of events/s): bytes from the allocation model, the call site
// chosen by a cached "is this PC runtime code" lookup, one hash-map update. Symbol names, files,
// lines and type names are resolved only when a report is built, once per distinct call site.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "goretain.h"
#include "userspace/analysis/callsite_cap.h"
#include "userspace/analysis/retention.h"
#include "userspace/analysis/traced_process.h"
#include "userspace/model/report.h"

namespace goretain {

class Aggregator {
 public:
  // `report_stack_depth`: frames beyond the call site to keep for the JSON `stack`.
  // `retention`: where addressed allocations are tracked (may be null: no retention figures).
  // `max_callsites`: distinct call sites kept (--max-callsites); a new one beyond it is folded
  // into its kind's "(other)" row, so a program with endless distinct stacks cannot grow
  // goretain's memory without bound.
  Aggregator(uint32_t report_stack_depth, RetentionTracker* retention,
             size_t max_callsites = CallsiteCap::kDefaultMax)
      : report_stack_depth_(report_stack_depth), retention_(retention), cap_(max_callsites) {}

  // The function name of the rows that hold folded call sites.
  static constexpr const char* kFoldedFunction = "(other)";

  void AddProcess(const TracedProcess& p) { processes_[p.pid] = p; }
  void OnEvent(const gr_event& e, size_t size);

  // Rows merged by (process, kind, function, file, line, type), sorted by bytes, descending:
  // processes of one executable share its probes, never its rows.
  std::vector<CallsiteRow> Rows() const;
  // Process `pid` exited: returns its rows as Rows() shows them now (its figures final) and frees
  // everything kept for it (its call sites, which then no longer count against max_callsites,
  // its objects in the retention tracker, its GC state). Later events of it are unattributed.
  std::vector<CallsiteRow> RetireProcess(pid_t pid);

  uint64_t received() const { return received_; }
  uint64_t gc_cycles() const { return gc_cycles_; }
  // Per process: mheap_.sweepgen as the last GC cycle seen finished marking.
  const std::unordered_map<pid_t, uint32_t>& gc_sweepgens() const { return gc_sweepgen_; }
  uint64_t unattributed() const { return unattributed_; }
  uint64_t runtime_internal() const { return runtime_internal_; }
  const FoldedCallsites& folded() const { return cap_.folded(); }

 private:
  struct SiteKey {
    uint32_t pid;  // the process (its TGID): rows are per process
    const TracedBinary* binary;
    uint64_t pc;    // ElfVaddr of the chosen frame's return address
    uint64_t type;  // ElfVaddr of the type descriptor, 0 if none
    uint32_t kind;
    bool operator==(const SiteKey&) const = default;
  };
  struct SiteKeyHash {
    size_t operator()(const SiteKey& k) const noexcept;
  };
  struct SiteStats {
    uint64_t objects = 0;
    uint64_t heap_objects = 0;
    uint64_t bytes = 0;
    uint64_t assigns = 0;
    SiteRetention retention;
    std::vector<uint64_t> outer_pcs;  // ElfVaddrs of deeper frames, from the first event seen
  };
  struct PcKey {
    const TracedBinary* binary;
    uint64_t pc;
    bool operator==(const PcKey&) const = default;
  };
  struct PcKeyHash {
    size_t operator()(const PcKey& k) const noexcept;
  };
  struct TypeInfo {
    uint64_t size = 0;
    uint64_t ptrdata = 0;
    bool known = false;
  };

  // Rows() of every process, or of `only_pid`'s.
  std::vector<CallsiteRow> BuildRows(std::optional<uint32_t> only_pid) const;
  // The stats of `key`, or of its kind's folded row once max_callsites_ distinct sites exist
  // (an `allocation` folded there is counted).
  SiteStats& Site(const SiteKey& key, bool allocation);
  AllocEstimate EventAlloc(const gr_event& e, const TracedProcess& p);
  using PcCache = std::unordered_map<PcKey, bool, PcKeyHash>;
  // Whether the return address `pc` lies in a function for which `is` holds (cached per PC).
  static bool ReturnsInto(PcCache& cache, const TracedBinary* b, uint64_t pc,
                          bool (*is)(std::string_view function));
  // True if a runtime frame below the call site grows or clones a map (hashGrow, a Swiss table
  // split, maps.Clone): the object is map growth, not part of a make.
  bool IsMapGrowthPath(const TracedProcess& p, const gr_event& e, uint32_t chosen);
  TypeInfo SizedTypeFromFile(const TracedProcess& p, const gr_event& e);
  bool IsUserPc(const TracedBinary* b, uint64_t pc);

  uint32_t report_stack_depth_;
  RetentionTracker* retention_;
  std::unordered_map<uint32_t, TracedProcess> processes_;
  std::unordered_map<SiteKey, SiteStats, SiteKeyHash> sites_;
  std::unordered_map<PcKey, bool, PcKeyHash> user_pc_cache_;
  PcCache map_internal_pc_cache_;  // return addresses in the runtime's map code
  PcCache growth_pc_cache_;        // ... in its map growth functions
  std::unordered_map<PcKey, TypeInfo, PcKeyHash> file_type_cache_;
  uint64_t received_ = 0;
  uint64_t unattributed_ = 0;  // events from a process not (yet) registered
  uint64_t gc_cycles_ = 0;
  std::unordered_map<pid_t, uint32_t> gc_sweepgen_;
  CallsiteCap cap_;
  size_t folded_rows_ = 0;  // entries of sites_ that are folded rows (not counted in the cap)
  uint64_t runtime_internal_ = 0;  // allocations with no frame outside the runtime     // completed GC cycles seen in all traced processes
};

// True for functions of the Go runtime itself ("runtime.", "internal/runtime/..."), which are
// never reported as call sites.
bool IsRuntimeFunction(std::string_view name);

// True for frames of the Go runtime's code, by name or by source file (linknamed functions).
bool IsRuntimeFrame(const symbols::Frame& frame);

// True for the runtime functions that allocate a map's next tables (growth, clone), which also
// call the functions makemap uses (makeBucketArray, newTable, NewMap).
bool IsMapGrowthFunction(std::string_view name);

// True for the runtime's map implementation (classic and Swiss).
bool IsMapRuntimeFunction(std::string_view name);

// "map.bucket[string]int" / "map.group[string]int" -> "map[string]int"; other names unchanged.
std::string MapTypeName(std::string name);

}  // namespace goretain
