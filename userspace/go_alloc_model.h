// GoAllocModel: the heap bytes the Go runtime allocates for one probed call, computed from the
// call's arguments exactly as the runtime of that Go release computes them.
//
// Why a model instead of measuring: the entry probe sees the arguments (hint, old capacity, new
// length, element/bucket type sizes) and the runtime's sizing is a pure function of them, so the
// bytes are exact without a second, expensive probe at return. Each rule cites the runtime source
// it mirrors (go-runtime.md §3.4-3.6, §4.1).
//
// "Bytes" is what the runtime's own heap profile records for an allocation (MemProfileRate = 1):
// the size-class size for small objects, the page-rounded span size for large ones, and the
// requested size for tiny (pointer-free, < 16 B) objects, which the runtime packs into shared
// 16-byte blocks.
#pragma once

#include <cstdint>

#include "symbols/go_binary.h"

namespace goretain {

class GoAllocModel {
 public:
  explicit GoAllocModel(const symbols::GoVersion& v);

  // Bytes recorded for one mallocgc(size, typ) call; `noscan` = the type has no pointers.
  uint64_t MallocBytes(uint64_t size, bool noscan) const;

  // runtime.roundupsize as the runtime of this version computes it.
  uint64_t RoundUpSize(uint64_t size, bool noscan) const;

  // growslice: the new capacity for growing to new_len from old_cap (elements).
  int64_t NextSliceCap(int64_t new_len, int64_t old_cap) const;

  // growslice: the bytes allocated for the new backing array (0 for zero-size elements).
  uint64_t GrowSliceBytes(int64_t old_cap, int64_t new_len, uint64_t elem_size,
                          bool elem_noscan) const;

  // makemap/makemap64 (classic or Swiss, chosen by version): bytes allocated for
  // make(map, hint). `header_on_stack` = the compiler passed a stack header (h/m != nil).
  // `sized_size`/`sized_noscan` describe the bucket type (classic) or group type (Swiss).
  uint64_t MakeMapBytes(int64_t hint, bool header_on_stack, uint64_t sized_size,
                        bool sized_noscan) const;

  // makemap_small: new(hmap) / new(maps.Map).
  uint64_t MakeMapSmallBytes() const;

  bool swiss_maps() const { return swiss_; }

 private:
  uint64_t ClassicMakeMapBytes(int64_t hint, bool header_on_stack, uint64_t bucket_size,
                               bool bucket_noscan) const;
  uint64_t SwissMakeMapBytes(int64_t hint, bool header_on_stack, uint64_t group_size,
                             bool group_noscan) const;

  int minor_;
  bool malloc_headers_;   // go1.22+: 8-byte type header on pointerful objects > 512 B
  bool swiss_;            // go1.24+: Swiss-table maps
  int load_factor_num_;   // classic maps: 13, but 12 in go1.21 (golang/go#63438)
  uint64_t hmap_size_;    // classic hmap: 48 (56 for 1.24/1.25 noswissmap)
};

// Size-class size for a small object of `size` bytes (size <= 32768); the runtime's
// class_to_size, identical from go1.17 to go1.27.
uint64_t GoSizeClass(uint64_t size);

}  // namespace goretain
