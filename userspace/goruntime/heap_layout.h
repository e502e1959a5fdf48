// HeapLayout: where one Go release keeps the heap metadata the liveness reader needs (amd64):
// mheap_'s address (from .symtab, or from runtime.gcSweep's code in stripped binaries) and the
// offsets of the mheap_, heapArena and mspan fields. A pure function of the binary.
#pragma once

#include <cstdint>

#include "symbols/address.h"
#include "symbols/go_binary.h"
#include "symbols/result.h"

namespace goretain {

// Where a Go version keeps what the reader needs (amd64). Offsets are bytes into the struct.
struct HeapLayout {
  // linux/amd64 constants (malloc.go): arenaBaseOffset, heapArenaBytes, pageSize, arenaL2Bits.
  static constexpr uint64_t kArenaBaseOffset = 0xffff800000000000ull;
  static constexpr uint64_t kArenaBytes = 64ull << 20;
  static constexpr uint64_t kPageSize = 8192;
  static constexpr uint64_t kPagesPerArena = kArenaBytes / kPageSize;
  static constexpr uint64_t kArenaL2Entries = 1ull << 22;

  enum class MheapSource { kSymtab, kGcSweepCode };

  symbols::GoVersion version;
  ElfVaddr mheap;  // link-time address of runtime.mheap_
  MheapSource mheap_source = MheapSource::kSymtab;

  uint32_t mheap_sweepgen = 0;  // uint32
  uint32_t mheap_arenas = 0;    // [1]*[1<<22]*heapArena (arenaL1Bits = 0)
  uint32_t arena_spans = 0;     // heapArena.spans [8192]*mspan

  uint32_t span_start = 0;       // uintptr
  uint32_t span_npages = 0;      // uintptr
  uint32_t span_freeindex = 0;   // uintptr ≤1.21, uint16 ≥1.22 (index_width)
  uint32_t span_nelems = 0;      // idem
  uint32_t index_width = 8;
  uint32_t span_alloc_bits = 0;  // *gcBits
  uint32_t span_gcmark_bits = 0; // *gcBits
  uint32_t span_sweepgen = 0;    // uint32
  uint32_t span_spanclass = 0;   // uint8: sizeclass<<1 | noscan
  uint32_t span_state = 0;       // uint8: 0 dead, 1 in use, 2 manual
  uint32_t span_elemsize = 0;    // uintptr
  uint32_t span_limit = 0;       // uintptr
  uint32_t span_read_size = 0;   // bytes of mspan read (covers every field above)

  // Green Tea GC (default ≥1.26, GOEXPERIMENT=greenteagc in 1.25): spans with 16 ≤ elemsize ≤ 512
  // keep the current cycle's marks inline at startAddr + 8192 - 128 (marks [63]uint8 @ +64) until
  // they are swept.
  bool green_tea = false;
  // go1.22+: pointerful objects > 512 B start 8 bytes into their slot (malloc header).
  bool malloc_headers = false;

  // Errors: kUnsupported (Go version outside 1.17..1.27, GOEXPERIMENT changing the layout, not
  // amd64), kNotFound (runtime.mheap_ neither in .symtab nor found in runtime.gcSweep's code).
  static Result<HeapLayout> For(const symbols::GoBinary& binary);
};

}  // namespace goretain
