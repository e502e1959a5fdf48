// ProfileLayout: where one Go release keeps its heap profile (amd64): runtime.mbuckets (the list
// of profile buckets), runtime.MemProfileRate, and the layout of a bucket and its memRecord
// (go-sampler.md §4, §5; checked against DWARF of go1.19 … go1.27). The globals come from .symtab,
// or, in stripped binaries, from the runtime code that reads them. A pure function of the binary.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "symbols/address.h"
#include "symbols/go_binary.h"
#include "symbols/result.h"

namespace goretain {

struct ProfileLayout {
  // bucket (mprof.go), 48 B in every release, then stk [nstk]uintptr, then the memRecord.
  static constexpr uint32_t kBucketAllnext = 8;  // *bucket: the list runtime.mbuckets heads
  static constexpr uint32_t kBucketType = 16;    // bucketType: memProfile = 1
  static constexpr uint32_t kBucketSize = 32;    // uintptr: the size-class size of the objects
  static constexpr uint32_t kBucketNstk = 40;    // uintptr
  static constexpr uint32_t kBucketHeader = 48;  // stk starts here
  static constexpr uint64_t kMemProfileType = 1;
  // More frames than any release records (1.23+: profstackdepth ≤ 1024, plus skip slack).
  static constexpr uint64_t kMaxStack = 1100;

  enum class Source { kSymtab, kCode };

  symbols::GoVersion version;
  ElfVaddr mbuckets;          // link-time address of runtime.mbuckets (*bucket)
  ElfVaddr mem_profile_rate;  // ... of runtime.MemProfileRate (int)
  Source source = Source::kSymtab;
  // memRecord = {active, future[3]} of memRecordCycle: {allocs, frees, alloc_bytes, free_bytes}
  // (32 B) up to 1.26, {allocs, frees} (16 B, bytes = count × bucket size) in 1.27.
  bool byte_counters = true;
  uint32_t record_cycle_bytes = 32;
  // Whether the linker kept a heap-profile reader (runtime.MemProfile; memProfileInternal from
  // 1.23). Without one it sets disableMemoryProfiling and the runtime runs with
  // MemProfileRate = 0: nothing is sampled, the bucket list stays (almost) empty.
  bool profile_reader_linked = false;

  // Errors: kUnsupported (Go release outside the table, not amd64), kNotFound (a global neither
  // in .symtab nor found in its runtime function's code).
  static Result<ProfileLayout> For(const symbols::GoBinary& binary);
};

// The address of the first 8-byte RIP-relative load `MOV r64, [RIP+X]` in `code` (a function at
// link address `entry`), nullopt if none. In every release 1.19 … 1.27 (checked against .symtab):
// runtime.mProf_FlushLocked's only such load is runtime.mbuckets, and runtime.allocmcache's first
// is runtime.MemProfileRate (`c.nextSample = nextSample()`).
std::optional<uint64_t> FindFirstRipLoad(std::span<const uint8_t> code, uint64_t entry);

}  // namespace goretain
