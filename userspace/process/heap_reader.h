// HeapReader: which tracked heap objects of a running Go process are still live, read from the
// process's own heap metadata (mheap_ → heapArena.spans → mspan → alloc/mark bits) with
// process_vm_readv. Never stops the target, never writes to it.
//
// Decision rule (docs/ARCHITECTURE.md "Heap liveness"; go-runtime.md §5.4), with h =
// mheap_.sweepgen and sg = the object's span's sweepgen:
//   span dead, manual (stack), address outside [startAddr, limit), or an element size that does
//   not fit the recorded size                         → freed (the span was freed and reused)
//   sg == h-2 or h+1 (not yet swept after the last mark) → live iff marked in the last cycle
//                                                         (gcmarkBits; Green Tea inline marks)
//   sg == h or h+3 (swept)                              → live iff allocBits[i] (survived the last
//                                                         cycle), or i < freeindex for an object
//                                                         allocated after the last cycle
//   sg == h-1 (being swept), or sg/h moved while reading → re-read a few times, then unknown
//
// Slot reuse: after a sweep, a freed slot can be handed to another (untracked) allocation; it is
// then "allocated" (i < freeindex). The reader can only tell the two apart if it knows when the
// tracked object was allocated (TrackedObject::alloc_sweepgen): an object older than the last
// cycle is live only if that cycle marked it, whatever happened to its slot since. With an unknown
// allocation epoch such a slot is reported live with reason kAllocatedSinceSweep (ambiguous).
// Exactness also requires a Check in every GC cycle, with freed objects dropped by the caller: a
// slot reused by an object that then survives a later cycle is indistinguishable from the
// original object.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbols/address.h"
#include "symbols/go_binary.h"
#include "symbols/result.h"
#include "userspace/goruntime/heap_layout.h"

namespace goretain {

struct TrackedObject {
  // mheap_.sweepgen is always even: this odd value says "allocation epoch unknown".
  static constexpr uint32_t kUnknownSweepgen = 0xffffffffu;

  uint64_t addr = 0;  // the pointer the allocation returned (slot base, or base+8 with a header)
  uint64_t size = 0;  // bytes recorded for it: requested size, size class or page-rounded size;
                      // 0 = do not check the span's element size against it
  uint32_t alloc_sweepgen = kUnknownSweepgen;  // mheap_.sweepgen when it was allocated
                                               // (= 2 × completed GC cycles then)
};

enum class LiveState : uint8_t { kLive, kFreed, kUnknown };

enum class LiveReason : uint8_t {
  kMarked,               // live: marked by the cycle that just finished (span not swept yet)
  kSurvivedLastGc,       // live: allocated at the span's last sweep (survived the last cycle)
  kAllocatedSinceSweep,  // live: slot handed out after the span's last sweep — a young object,
                         // or (allocation epoch unknown) possibly another object in a reused slot
  kNotMarked,            // freed: the cycle that just finished did not mark it
  kSweptFree,            // freed: the last sweep freed the slot
  kSpanFreed,            // freed: the span is dead, a stack, or reused for other objects
  kSweepRace,            // unknown: the span was being swept on every attempt
  kNotHeap,              // unknown: the address is in no heap arena or no span
  kUnreadable,           // unknown: the metadata could not be read (EFAULT)
};

struct Liveness {
  LiveState state = LiveState::kUnknown;
  LiveReason reason = LiveReason::kNotHeap;
};

// One consistent reading of an object's span (exposed for tests of the decision rule).
struct SpanSnapshot {
  uint64_t start = 0, limit = 0, elemsize = 0, npages = 0, nelems = 0, freeindex = 0;
  uint32_t sweepgen = 0;
  uint8_t state = 0;      // 0 dead, 1 in use, 2 manual
  uint8_t sizeclass = 0;  // 0 = large object span
  bool malloc_headers = false;
  const uint8_t* bits = nullptr;          // gcmarkBits if unswept, allocBits if swept
  const uint8_t* inline_marks = nullptr;  // Green Tea inline marks (unswept small spans) or null
};

// The rule of the header comment for one object; `h` = mheap_.sweepgen read with the snapshot.
Liveness DecideLiveness(const SpanSnapshot& span, uint32_t h, const TrackedObject& object);

const char* ToString(LiveState s);
const char* ToString(LiveReason r);

// What the last Check did (for logs and the benchmark).
struct CheckStats {
  uint64_t objects = 0;
  uint64_t spans = 0;           // distinct mspans read
  uint64_t unswept_spans = 0;   // decided from mark bits
  uint64_t green_tea_spans = 0; // of which with inline mark bits
  uint64_t retries = 0;         // span re-reads (sweep in progress, sweepgen moved)
  uint64_t syscalls = 0;        // process_vm_readv calls
  uint64_t bytes_read = 0;
  uint32_t sweepgen_first = 0;  // mheap_.sweepgen when the Check started
  uint32_t sweepgen_last = 0;   // ... and at its last read (results refer to one of the two)
  double seconds = 0;
};

namespace heap_reader_detail {
struct Span;  // one span as a check reads it (heap_reader.cpp)
}

class HeapReader {
 public:
  // Checks the process can be read and the layout fits it (mheap_.sweepgen is even).
  // Errors: kNotFound (no such process / it exited), kPermission, kBadInput (layout does not fit).
  static Result<HeapReader> Attach(pid_t pid, const HeapLayout& layout, uint64_t load_bias);
  // For a process whose runtime has not started yet (stopped right after execve): the same
  // validation runs at the first Check, which comes after a GC cycle, so the heap exists then.
  static HeapReader Deferred(pid_t pid, const HeapLayout& layout, uint64_t load_bias);

  // Liveness of each object, in the same order. Reads in batches (one process_vm_readv per
  // group of up to 1024 arena pages / span structs / bitmaps), never one read per object.
  // Errors: kNotFound if the process exited (ESRCH), kPermission, kIo; kBadInput if the layout
  // does not fit (a Deferred reader's first check).
  Result<std::vector<Liveness>> Check(std::span<const TrackedObject> objects);

  // mheap_.sweepgen now (2 × completed GC cycles).
  Result<uint32_t> ReadSweepgen();

  const CheckStats& last_stats() const { return stats_; }
  pid_t pid() const { return pid_; }

 private:
  HeapReader(pid_t pid, const HeapLayout& layout, uint64_t load_bias);
  // Reads mheap_.arenas[0] and checks the layout fits (sets l2_).
  Status Validate();

  // The steps of Check, in order, on one check's working state (heap_reader.cpp).
  struct CheckPass;
  // 1. The heapArena pointers of the objects' arenas (cached: arenas are never freed).
  Status ReadArenas(CheckPass& c);
  // 2. The 4 KiB pages of heapArena.spans (512 heap pages each) that cover the objects.
  Status ReadSpanTablePages(CheckPass& c);
  // 3. The distinct spans the objects lie in (objects on unreadable pages: kUnreadable).
  void FindSpans(CheckPass& c);
  // 4. Span structs and bitmaps, in batches: [h, structs], then the bitmaps the sweep state
  // calls for, then [h, span sweepgens] again; a span whose sweepgen (or h) moved meanwhile, or
  // that is being swept, is read again, up to kMaxAttempts times.
  Status ReadSpans(CheckPass& c);
  // One batch of step 4; spans to read again go to `retry`.
  Status ReadSpanBatch(CheckPass& c, std::span<const uint32_t> batch, std::vector<uint32_t>& retry);
  // Whether a read span is settled (stable and decidable); false: read it again.
  bool SettleSpan(heap_reader_detail::Span& s, bool stable, bool bits_ok);
  // 5. Each object's verdict from its span.
  void Decide(CheckPass& c);

  pid_t pid_;
  HeapLayout layout_;
  uint64_t mheap_ = 0;      // runtime address of mheap_
  uint64_t l2_ = 0;         // mheap_.arenas[0] (never changes once set)
  std::unordered_map<uint64_t, uint64_t> arenas_;  // arena index → *heapArena (never freed)
  CheckStats stats_;
};

}  // namespace goretain
