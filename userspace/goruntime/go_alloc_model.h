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
#include <span>

#include "symbols/go_binary.h"
#include "userspace/goruntime/go_releases.h"

namespace goretain {

// What one probed call put on the heap.
struct AllocEstimate {
  uint64_t bytes = 0;    // as the heap profile records them (see above)
  uint32_t objects = 0;  // heap allocations (mallocgc calls) made

  AllocEstimate& operator+=(const AllocEstimate& o) {
    bytes += o.bytes;
    objects += o.objects;
    return *this;
  }
};

class GoAllocModel {
 public:
  // `swiss_maps`: the binary uses Swiss-table maps (go1.24+ unless built with
  // GOEXPERIMENT=noswissmap; the probe planner tells from the binary's functions).
  GoAllocModel(const symbols::GoVersion& v, bool swiss_maps);

  // Bytes recorded for one mallocgc(size, typ) call; `noscan` = the type has no pointers.
  uint64_t MallocBytes(uint64_t size, bool noscan) const;
  // One mallocgc call (nothing for size 0, which returns &zerobase).
  AllocEstimate Malloc(uint64_t size, bool noscan) const;

  // runtime.roundupsize as the runtime of this version computes it.
  uint64_t RoundUpSize(uint64_t size, bool noscan) const;

  // growslice: the new capacity for growing to new_len from old_cap (elements).
  int64_t NextSliceCap(int64_t new_len, int64_t old_cap) const;

  // growslice: the new backing array (nothing for zero-size elements).
  AllocEstimate GrowSlice(int64_t old_cap, int64_t new_len, uint64_t elem_size,
                          bool elem_noscan) const;
  uint64_t GrowSliceBytes(int64_t old_cap, int64_t new_len, uint64_t elem_size,
                          bool elem_noscan) const {
    return GrowSlice(old_cap, new_len, elem_size, elem_noscan).bytes;
  }

  // makeslice(et, len, cap): make([]T, len, cap) is one mallocgc of cap*elem_size bytes (nothing
  // for zero bytes; nothing when the call panics: len < 0 or len > cap).
  AllocEstimate MakeSlice(int64_t len, int64_t cap, uint64_t elem_size, bool elem_noscan) const;
  // makeslicecopy(et, tolen, fromlen, from): make([]T, tolen) then copy; one mallocgc of
  // tolen*elem_size bytes whatever fromlen is.
  AllocEstimate MakeSliceCopy(int64_t tolen, uint64_t elem_size, bool elem_noscan) const {
    return MakeSlice(tolen, tolen, elem_size, elem_noscan);
  }

  // makemap/makemap64 (classic or Swiss, chosen by version): what make(map, hint) allocates.
  // `header_on_stack` = the compiler passed a stack header (h/m != nil).
  // `sized_size`/`sized_noscan` describe the bucket type (classic) or group type (Swiss).
  AllocEstimate MakeMap(int64_t hint, bool header_on_stack, uint64_t sized_size,
                        bool sized_noscan) const;
  uint64_t MakeMapBytes(int64_t hint, bool header_on_stack, uint64_t sized_size,
                        bool sized_noscan) const {
    return MakeMap(hint, header_on_stack, sized_size, sized_noscan).bytes;
  }

  // makemap_small: new(hmap) / new(maps.Map).
  AllocEstimate MakeMapSmall() const;
  uint64_t MakeMapSmallBytes() const { return MakeMapSmall().bytes; }

  // Classic maps, runtime.hashGrow(t, h) with h.count = `count`, h.B = `b`: the new bucket array
  // (one size up, or the same size when only overflow buckets piled up). A new h.extra is its
  // own allocation, probed at hashGrow's call to newobject.
  AllocEstimate HashGrow(uint64_t count, unsigned b, uint64_t bucket_size,
                         bool bucket_noscan) const;
  // The same from the words of the map header (hmap) read at hashGrow's entry: count @0, B @9.
  AllocEstimate HashGrowFromHeader(std::span<const uint64_t> hmap_words, uint64_t bucket_size,
                                   bool bucket_noscan) const;

  // Swiss maps, maps.newTable(typ, capacity): the table header and its group array.
  AllocEstimate SwissNewTable(uint64_t capacity, uint64_t group_size, bool group_noscan) const;

  // go1.26+ moveSlice*: `with_cap` = moveSlice/moveSliceNoScan (exact cap), else the NoCap
  // variants that round len*size up to a size class.
  AllocEstimate MoveSlice(uint64_t len_or_cap, uint64_t elem_size, bool elem_noscan,
                          bool with_cap) const;

  bool swiss_maps() const { return swiss_; }

 private:
  AllocEstimate ClassicMakeMap(int64_t hint, bool header_on_stack, uint64_t bucket_size,
                               bool bucket_noscan) const;
  AllocEstimate SwissMakeMap(int64_t hint, bool header_on_stack, uint64_t group_size,
                             bool group_noscan) const;
  // makeBucketArray(t, b, nil): 2^b buckets plus preallocated overflow buckets from b >= 4.
  // `preallocated_overflow` tells whether the caller must allocate h.extra.
  AllocEstimate BucketArray(unsigned b, uint64_t bucket_size, bool bucket_noscan,
                            bool* preallocated_overflow) const;
  bool OverLoadFactor(uint64_t count, unsigned b) const;

  const GoRelease* release_;  // the rules of this release (go_releases.h)
  bool malloc_headers_;   // go1.22+: 8-byte type header on pointerful objects > 512 B
  bool swiss_;            // go1.24+: Swiss-table maps
  int load_factor_num_;   // classic maps: 13, but 12 in go1.21 (golang/go#63438)
  uint64_t hmap_size_;    // classic hmap: 48 (56 for 1.24/1.25 noswissmap)
};

// Size-class size for a small object of `size` bytes (size <= 32768); the runtime's
// class_to_size, identical from go1.17 to go1.27.
uint64_t GoSizeClass(uint64_t size);

}  // namespace goretain
