// The Go releases goretain supports and everything it knows per release, in one table: one row
// per release, every column a fact some part of goretain needs (heap metadata offsets for the
// liveness reader, the allocator's and maps' and slices' rules for the allocation model, ABI and
// map implementation for the probe planner). A new release is a new row; a new per-release fact
// (the sampler's offsets, say) is a new column, never a separate table. The one exception is
// symbols/: it parses a wider range of releases than this one and includes nothing of
// userspace/, so the file-format facts it needs (moduledata offsets, buildinfo layout) stay there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>

#include "symbols/go_binary.h"

namespace goretain {

// Green Tea GC: small-object spans (16 ≤ elemsize ≤ 512) keep the current cycle's marks inline
// at startAddr + 8192 - 128 until they are swept.
enum class GreenTea : uint8_t {
  kNo,
  kOptIn,    // only with GOEXPERIMENT=greenteagc (1.25)
  kDefault,  // unless GOEXPERIMENT=nogreenteagc (1.26+)
};

struct GoRelease {
  int minor;  // go1.<minor>

  // Heap metadata (HeapLayout; go-runtime.md §5.1, checked against DWARF): byte offsets of
  // mheap_.sweepgen, mheap_.arenas, heapArena.spans, then of mspan's fields.
  uint32_t mheap_sweepgen, mheap_arenas, arena_spans;
  bool uint16_span_indices;  // mspan.freeindex/nelems: uint16 (1.22+), else uintptr
  uint32_t span_alloc_bits, span_gcmark_bits, span_sweepgen, span_spanclass, span_state,
      span_elemsize, span_limit;

  // The allocator.
  bool malloc_headers;  // 1.22+: pointerful objects > 512 B carry an 8-byte header in their slot
  GreenTea green_tea;

  // Maps.
  bool swiss_maps;               // 1.24+: Swiss tables, unless GOEXPERIMENT=noswissmap
  uint32_t hmap_size;            // classic runtime.hmap: 48 B, 56 from 1.24 (noswissmap)
  uint8_t map_load_factor_num;   // classic maps' load factor × 2: 13, but 12 in 1.21 (#63438)

  // Slices.
  bool growslice_120_abi;       // 1.20+: growslice(oldPtr, newLen, oldCap, num, et), et in RSI;
                                // before: growslice(et, old slice, cap), et in RAX
  bool smooth_slice_growth;     // 1.18+: threshold 256, smooth 2x → 1.25x; 1.17: 1024, 1.25x
  bool growslice_trims_capmem;  // 1.20+: capmem recomputed from the rounded-down capacity for
                                // element sizes other than 1 and 8

  // The heap profile's sampler (--sample; go-sampler.md §1-§3, checked by disassembly).
  uint8_t mprof_malloc_p_arg;    // args[] index of mProf_Malloc's p, its size the next one:
                                 // 0 for (p, size) to 1.22, 1 for (mp, p, size) from 1.23
  uint8_t special_kind_off;      // runtime.special.kind: 10, 16 from 1.24 (offset is a uintptr)
  uint8_t special_profile_kind;  // _KindSpecialProfile: 2, 3 in 1.23-1.24, 4 from 1.25
  // The heap profile (ProfileLayout; go-sampler.md §5): memRecordCycle is {allocs, frees,
  // alloc_bytes, free_bytes} (32 B) up to 1.26; 1.27 dropped the byte counters (16 B).
  bool profile_byte_counters;
};

// clang-format off
inline constexpr GoRelease kGoReleases[] = {
//  minor  sweepgen arenas  arena_spans u16    alloc mark sweep class state elem limit
//         hdrs   green_tea            swiss  hmap lf  abi120 smooth trims
//         sampler: p_arg kind_off profile_kind, prof_bytes
    {17, 65832, 65944, 2097152, false, 72, 80, 88,  98,  99,  104, 112,
         false, GreenTea::kNo,      false, 48, 13, false, false, false,
         0, 10, 2, true},
    {18, 65840, 65936, 2097152, false, 72, 80, 88,  98,  99,  104, 112,
         false, GreenTea::kNo,      false, 48, 13, false, true,  false,
         0, 10, 2, true},
    {19, 65848, 65936, 2097152, false, 72, 80, 88,  98,  99,  104, 112,
         false, GreenTea::kNo,      false, 48, 13, false, true,  false,
         0, 10, 2, true},
    {20, 65816, 65904, 1064960, false, 72, 80, 88,  98,  99,  104, 112,
         false, GreenTea::kNo,      false, 48, 13, true,  true,  true,
         0, 10, 2, true},
    {21, 65856, 65944, 1064960, false, 72, 80, 96,  106, 107, 112, 120,
         false, GreenTea::kNo,      false, 48, 12, true,  true,  true,
         0, 10, 2, true},
    {22, 65856, 66008, 0,       true,  64, 72, 88,  98,  99,  104, 112,
         true,  GreenTea::kNo,      false, 48, 13, true,  true,  true,
         0, 10, 2, true},
    {23, 65856, 66008, 0,       true,  64, 72, 88,  98,  99,  104, 112,
         true,  GreenTea::kNo,      false, 48, 13, true,  true,  true,
         1, 10, 3, true},
    {24, 65856, 66008, 0,       true,  64, 72, 88,  98,  99,  104, 112,
         true,  GreenTea::kNo,      true,  56, 13, true,  true,  true,
         1, 16, 3, true},
    {25, 65856, 66008, 0,       true,  64, 72, 88,  98,  99,  104, 112,
         true,  GreenTea::kOptIn,   true,  56, 13, true,  true,  true,
         1, 16, 4, true},
    {26, 65856, 66008, 0,       true,  64, 72, 88,  98,  99,  104, 112,
         true,  GreenTea::kDefault, true,  56, 13, true,  true,  true,
         1, 16, 4, true},
    {27, 65856, 66008, 0,       true,  64, 72, 88,  98,  99,  104, 112,
         true,  GreenTea::kDefault, true,  56, 13, true,  true,  true,
         1, 16, 4, false},
};
// clang-format on

// The supported range: go1.17 introduced the register ABI on amd64; the last row is the newest
// release whose runtime layouts goretain knows. A newer one is refused rather than measured
// wrongly.
inline constexpr int kMinGoMinor = kGoReleases[0].minor;
inline constexpr int kMaxGoMinor = kGoReleases[std::size(kGoReleases) - 1].minor;

constexpr bool OneRowPerRelease() {
  for (size_t i = 0; i < std::size(kGoReleases); i++) {
    if (kGoReleases[i].minor != kMinGoMinor + static_cast<int>(i)) return false;
  }
  return true;
}
static_assert(kMinGoMinor == 17 && OneRowPerRelease(),
              "kGoReleases: one row per supported release, in order, from go1.17");

// The row of release `v`, or nullptr if goretain does not support it.
const GoRelease* FindGoRelease(const symbols::GoVersion& v);

// The row whose rules `v` follows, for code that takes any version (the allocation model):
// v's own row, else the nearest end of the range (older releases follow go1.17's rules, newer
// ones the newest row's).
const GoRelease& GoReleaseRules(const symbols::GoVersion& v);

}  // namespace goretain
