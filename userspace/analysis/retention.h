// RetentionTracker: which tracked allocations are still alive after each garbage collection, per
// call site, and whether a call site's retained bytes keep growing (a leak).
//
// Every allocation event that carries its object's address is tracked here (address, recorded
// bytes, the GC epoch it was born in). After a GC cycle completes, Check() asks the target's own
// heap metadata (HeapReader: mark and allocation bits, read with process_vm_readv) about every
// tracked object: freed ones are forgotten, so memory stays bounded by what the program keeps;
// survivors of the last cycle count as retained at their call site.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "userspace/analysis/leak_signal.h"
#include "userspace/analysis/retention_history.h"
#include "userspace/process/heap_reader.h"

namespace goretain {

// Per call site; owned by the Aggregator, updated by the tracker.
struct SiteRetention {
  uint64_t addressed = 0;    // allocations tracked with their address
  uint64_t unaddressed = 0;  // allocations whose address goretain could not see
  uint64_t retained_objects = 0;  // at the last check: survivors of the last GC cycle
  uint64_t retained_bytes = 0;
  RetentionHistory history;  // retained_bytes over time (bounded, spans the whole trace)
  bool checked = false;  // a check has judged this site's objects (the figures above mean something)

  // Retained figures are meaningful only when (nearly) every allocation here was tracked: at
  // most kMaxUntrackedPerMille per mille may have been missed (a rare lost address must not hide
  // a line for the rest of a long trace; the figure is then a lower bound).
  bool complete() const {
    return addressed > 0 && unaddressed * 1000 <= addressed * kMaxUntrackedPerMille;
  }
  static constexpr uint64_t kMaxUntrackedPerMille = 1;
  // Least-squares slope of retained bytes over the history (bytes/s); 0 with < 2 samples.
  double GrowthBytesPerSecond() const { return goretain::GrowthBytesPerSecond(history.Samples()); }
  // Why this line leaks (leak_signal.h: a sustained rise, judged by time), if it does; only
  // complete lines are judged.
  std::optional<LeakEvidence> Leak() const {
    if (!complete()) return std::nullopt;
    return JudgeLeak(history.Samples());
  }
  bool Leaking() const { return Leak().has_value(); }
};

struct RetentionCheck {
  uint64_t objects = 0;   // tracked when the check started
  uint64_t freed = 0;     // forgotten by this check
  uint64_t retained = 0;  // survivors of the last cycle
  uint64_t young = 0;     // allocated since the last cycle: judged at the next one
  uint64_t unknown = 0;   // undecidable this time (kept)
  double seconds = 0;
};

// For n tracked objects in allocation order (object i at address addr_of(i)): true for each one
// that a newer object has the address of. Its slot was freed and reused since, so it is dead
// whatever the slot's bits say now: the heap's bits alone cannot tell when several GC cycles
// passed between two checks (the slot may have been freed, reused, and the new object marked).
// O(n), with an open-addressing set of 1.5n words (12 bytes per tracked object, during a check).
template <typename AddrOf>
std::vector<bool> SupersededByNewer(size_t n, AddrOf addr_of) {
  const size_t capacity = n + n / 2 + 16;
  std::vector<uint64_t> seen(capacity, 0);  // 0: empty (no object lives at address 0)
  std::vector<bool> superseded(n, false);
  for (size_t i = n; i-- > 0;) {
    const uint64_t addr = addr_of(i);
    // Multiply-shift hash, mapped onto [0, capacity) without a division.
    const uint64_t hash = addr * 0x9e3779b97f4a7c15ull;
    size_t slot = static_cast<size_t>((static_cast<unsigned __int128>(hash) * capacity) >> 64);
    while (seen[slot] != 0 && seen[slot] != addr) slot = slot + 1 == capacity ? 0 : slot + 1;
    if (seen[slot] == addr) {
      superseded[i] = true;
    } else {
      seen[slot] = addr;
    }
  }
  return superseded;
}

class RetentionTracker {
 public:
  // Starts tracking process `pid`, whose heap `reader` reads.
  void AddProcess(pid_t pid, HeapReader reader);
  // Forgets process `pid` (it exited and was retired): its objects, its reader and every pointer
  // to its sites, which the caller may free afterwards.
  void RemoveProcess(pid_t pid) { processes_.erase(pid); }

  // One allocation: `alloc_sweepgen` is mheap_.sweepgen right after it, if it could be read.
  void Track(pid_t pid, uint64_t addr, uint64_t bytes, std::optional<uint32_t> alloc_sweepgen,
             SiteRetention* site);

  // Decides every tracked object's fate and refreshes every site's retained figures; `now_s`
  // stamps the sites' history. A process that has exited is dropped (its sites keep their last
  // figures: no later check touches them).
  RetentionCheck Check(double now_s);

  // False while some process's heap still shows a cycle that has finished marking but not yet
  // begun sweeping: `marked_at` is its mheap_.sweepgen as marking ended (the GC event's). Until
  // mheap_.sweepgen moves on, its spans' bits describe the cycle before, and a check would count
  // objects that cycle just found dead as alive. A process that cannot be read counts as ready.
  bool SweepBegan(const std::unordered_map<pid_t, uint32_t>& marked_at);

  uint64_t tracked_objects() const;
  uint64_t checks() const { return checks_; }
  double max_check_seconds() const { return max_check_s_; }
  double last_check_seconds() const { return last_check_s_; }

 private:
  struct Object {  // 24 bytes: a million tracked objects take 24 MB
    uint64_t addr;
    uint32_t bytes;           // recorded size (objects over 4 GiB are not tracked)
    uint32_t alloc_sweepgen;  // TrackedObject::kUnknownSweepgen if unknown
    SiteRetention* site;
  };
  static_assert(sizeof(Object) == 24);
  // Objects are checked in chunks of this many, compacted in place: the check's own memory
  // stays small however many objects are tracked.
  static constexpr size_t kCheckChunk = 65536;
  struct Process {
    std::unique_ptr<HeapReader> reader;
    std::vector<Object> objects;
    std::vector<SiteRetention*> sites;  // every site of it that ever had a tracked object
  };
  // Per site: retained objects and bytes found by this check.
  using SiteTotals = std::unordered_map<SiteRetention*, std::pair<uint64_t, uint64_t>>;
  // Sets every site's retained figures from `fresh` and appends them to its history; a site only
  // in `stale` (its process could not be read) keeps its previous figures.
  void PublishFigures(const std::vector<SiteRetention*>& sites, const SiteTotals& fresh,
                      const std::unordered_set<SiteRetention*>& stale, double now_s);

  std::unordered_map<pid_t, Process> processes_;
  uint64_t checks_ = 0;
  double max_check_s_ = 0, last_check_s_ = 0;
};

}  // namespace goretain
