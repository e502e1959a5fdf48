// SampleAggregator: --sample mode's events → per-call-site estimates.
//
// Events (goruntime/sampler_plan.h): a sample (runtime.mProf_Malloc: the object's address and
// slot size, and the frame-pointer stack through the runtime to the call site), a free of a
// special record (runtime.freeSpecial: kept when it is a profiled object's, matched to its sample
// by address, which is exactly the sampled p in every release), and a GC cycle's end of marking.
//
// "As of the last GC", as Go's heap profile says it: every sample carries the number of cycles its
// process had completed when it was taken (its epoch). A sample older than the last cycle and not
// freed is in use as of that cycle; its frees come during the sweep that follows, before the next
// cycle begins. So each site keeps its not-freed samples in three stages: young (born since the
// last cycle), mid (born before the last cycle, possibly not swept yet) and settled (born before
// the cycle before: its sweep is over). Reports show mid + settled (what runtime.MemProfile shows
// once the sweep is done); the leak signal's history takes the settled figure at each cycle.
//
// Kind: from which runtime allocation function is on the sample's stack (makemap → map.make, map
// growth → map.grow, growslice → slice.grow, makeslice → slice.make); any other object is `other`,
// reported (and given a site) only when asked (--kinds all). Rows carry no Go type: the sampler
// is not told it.
//
// --max-callsites: as in exact mode (CallsiteCap), a site first seen once the cap is reached is
// folded into its process's "(other)" site of its kind; its samples, and their frees, count there.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "goretain.h"
#include "userspace/analysis/callsite_cap.h"
#include "userspace/analysis/retention_history.h"
#include "userspace/analysis/traced_process.h"
#include "userspace/model/report.h"

namespace goretain {

class SampleAggregator {
 public:
  // `max_callsites`: distinct sites kept (--max-callsites); see CallsiteCap.
  SampleAggregator(uint32_t report_stack_depth, bool all_kinds,
                   size_t max_callsites = CallsiteCap::kDefaultMax)
      : report_stack_depth_(report_stack_depth), all_kinds_(all_kinds), cap_(max_callsites) {}

  // `rate`: runtime.MemProfileRate, if known yet (SetRate later otherwise).
  void AddProcess(const TracedProcess& p, std::optional<uint64_t> rate);
  void SetRate(pid_t pid, uint64_t rate);
  // Processes whose rate is not known yet.
  std::vector<TracedProcess> ProcessesWithoutRate() const;
  void OnEvent(const gr_event& e, size_t size);

  // Rows merged by (kind, function, file, line), estimates unsampled at each process's rate.
  std::vector<CallsiteRow> Rows() const;
  // Process `pid` exited: returns its own rows (pid set; merged by kind and line, estimates at
  // its rate, as of its last GC) and frees its sites, sampled objects and state
  // (sample_aggregator_retire.cpp). Later events of it are ignored.
  std::vector<CallsiteRow> RetireProcess(pid_t pid);
  // The rate the report shows: the traced processes' (the largest, if they differ); nullopt
  // before any is known.
  std::optional<uint64_t> ReportedRate() const;

  uint64_t received() const { return received_; }
  uint64_t gc_cycles() const { return gc_cycles_; }
  uint64_t samples() const { return samples_; }
  uint64_t unmatched_frees() const { return unmatched_frees_; }
  // Sites folded beyond --max-callsites; `allocations` counts their samples.
  const FoldedCallsites& folded() const { return cap_.folded(); }

  // Assumed until a process's own rate is read: Go's default (runtime.MemProfileRate).
  static constexpr uint64_t kDefaultRate = 512 * 1024;

 private:
  // Samples of one object size at one site, by stage (see above).
  struct SizeCounts {
    uint64_t alloc = 0;
    uint64_t young = 0, mid = 0, settled = 0;
  };
  struct Site {
    pid_t pid = 0;
    const TracedBinary* binary = nullptr;
    uint64_t pc = 0;
    Kind kind = Kind::kOther;
    std::map<uint64_t, SizeCounts> by_size;
    std::vector<uint64_t> outer_pcs;
    RetentionHistory history;  // settled bytes (estimated) at each GC cycle
    uint64_t last_settled_samples = 0;
  };
  struct SiteKey {
    pid_t pid;
    uint64_t pc;
    Kind kind;
    bool operator==(const SiteKey&) const = default;
  };
  struct SiteKeyHash {
    size_t operator()(const SiteKey& k) const noexcept;
  };
  struct ObjectKey {
    pid_t pid;
    uint64_t addr;
    bool operator==(const ObjectKey&) const = default;
  };
  struct ObjectKeyHash {
    size_t operator()(const ObjectKey& k) const noexcept;
  };
  struct Object {
    Site* site;  // null: a kind no row shows (other, without --kinds all)
    uint64_t size;
    uint64_t epoch;  // the process's completed GC cycles when it was sampled
  };
  struct Process {
    TracedProcess traced;
    std::optional<uint64_t> rate;
    uint64_t cycles = 0;
    std::vector<Site*> sites;
  };
  // What the runtime frames of a sample's stack say about it (bits, cached per return address).
  enum PathBits : uint32_t {
    kCollector = 1, kMapGrowth = 2, kMapMake = 4, kMapOther = 8, kGrowSlice = 16,
    kMakeSlice = 32,
  };

  void OnSample(Process& p, const gr_event& e, size_t size);
  // The site of `key`, made if new (its outer frames from `e` beyond `chosen`), or its kind's
  // folded site (pc 0) once the cap is reached.
  Site& SiteFor(Process& p, const SiteKey& key, const gr_event& e, uint32_t chosen,
                uint32_t depth);
  void OnFree(Process& p, const gr_event& e);
  void OnCycle(Process& p, double now_s);
  Kind KindOf(const Process& p, const gr_event& e, uint32_t chosen);
  uint32_t PathBitsAt(const TracedBinary* b, uint64_t pc);
  bool IsUserPc(const TracedBinary* b, uint64_t pc);
  static SizeCounts& StageOf(Site& s, uint64_t size);
  CallsiteRow RowOf(const Site& s, uint64_t rate) const;
  // The row's call site, stack and PCs, resolved from the site's PCs.
  void ResolveRowSite(const Site& s, CallsiteRow& row) const;

  uint32_t report_stack_depth_;
  bool all_kinds_;
  std::unordered_map<pid_t, Process> processes_;
  std::unordered_map<SiteKey, std::unique_ptr<Site>, SiteKeyHash> sites_;
  std::unordered_map<ObjectKey, Object, ObjectKeyHash> objects_;
  std::map<std::pair<const TracedBinary*, uint64_t>, bool> user_pc_cache_;
  std::map<std::pair<const TracedBinary*, uint64_t>, uint32_t> path_bits_cache_;
  CallsiteCap cap_;
  size_t folded_sites_ = 0;  // entries of sites_ that are folded sites (not counted in the cap)
  std::optional<uint64_t> first_ts_ns_;
  uint64_t received_ = 0, gc_cycles_ = 0, samples_ = 0, unmatched_frees_ = 0;
};

}  // namespace goretain
