#include "userspace/goruntime/go_alloc_model.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace goretain {
namespace {

// runtime/sizeclasses.go class_to_size (unchanged go1.17 .. go1.27).
constexpr std::array<uint32_t, 68> kClassToSize = {
    0,     8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,
    160,   176,   192,   208,   224,   240,   256,   288,   320,   352,   384,   416,
    448,   480,   512,   576,   640,   704,   768,   896,   1024,  1152,  1280,  1408,
    1536,  1792,  2048,  2304,  2688,  3072,  3200,  3456,  4096,  4864,  5376,  6144,
    6528,  6784,  6912,  8192,  9472,  9728,  10240, 10880, 12288, 13568, 14336, 16384,
    18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};

constexpr uint64_t kMaxSmallSize = 32768;
constexpr uint64_t kPageSize = 8192;
constexpr uint64_t kTinySize = 16;
constexpr uint64_t kMallocHeaderSize = 8;
constexpr uint64_t kMinSizeForMallocHeader = 512;
constexpr uint64_t kMapExtraSize = 24;   // runtime.mapextra, all versions
constexpr uint64_t kSwissMapSize = 48;   // internal/runtime/maps.Map
constexpr uint64_t kSwissTableSize = 32; // internal/runtime/maps.table
constexpr uint64_t kSwissGroupSlots = 8;
constexpr uint64_t kSwissMaxTableCapacity = 1024;

uint64_t PageRound(uint64_t size) { return (size + kPageSize - 1) & ~(kPageSize - 1); }

}  // namespace

uint64_t GoSizeClass(uint64_t size) {
  auto it = std::lower_bound(kClassToSize.begin(), kClassToSize.end(), size);
  return it == kClassToSize.end() ? PageRound(size) : *it;
}

GoAllocModel::GoAllocModel(const symbols::GoVersion& v, bool swiss_maps)
    : release_(&GoReleaseRules(v)),
      malloc_headers_(release_->malloc_headers),
      swiss_(swiss_maps),
      load_factor_num_(release_->map_load_factor_num),
      hmap_size_(release_->hmap_size) {}

uint64_t GoAllocModel::MallocBytes(uint64_t size, bool noscan) const {
  if (size == 0) return 0;                        // &zerobase
  if (noscan && size < kTinySize) return size;    // tiny allocator: recorded as requested
  if (malloc_headers_) {
    // go1.22+ mallocgc: objects above maxSmallSize-mallocHeaderSize are large; pointerful
    // objects above 512 B carry an 8-byte header inside their size-class slot.
    if (size > kMaxSmallSize - kMallocHeaderSize) return PageRound(size);
    if (!noscan && size > kMinSizeForMallocHeader) return GoSizeClass(size + kMallocHeaderSize);
    return GoSizeClass(size);
  }
  if (size > kMaxSmallSize) return PageRound(size);
  return GoSizeClass(size);
}

uint64_t GoAllocModel::RoundUpSize(uint64_t size, bool noscan) const {
  if (malloc_headers_) {
    // go1.22+ roundupsize(size, noscan): leaves room for the malloc header it will add.
    if (size <= kMaxSmallSize - kMallocHeaderSize) {
      uint64_t req = size;
      if (!noscan && req > kMinSizeForMallocHeader) req += kMallocHeaderSize;
      return GoSizeClass(req) - (req - size);
    }
    uint64_t up = PageRound(size);
    return up < size ? size : up;
  }
  if (size < kMaxSmallSize) return GoSizeClass(size);
  uint64_t up = PageRound(size);
  return up < size ? size : up;
}

AllocEstimate GoAllocModel::Malloc(uint64_t size, bool noscan) const {
  if (size == 0) return {};
  return AllocEstimate{MallocBytes(size, noscan), 1};
}

int64_t GoAllocModel::NextSliceCap(int64_t new_len, int64_t old_cap) const {
  int64_t newcap = old_cap;
  const int64_t doublecap = newcap + newcap;
  if (new_len > doublecap) return new_len;
  const bool smooth = release_->smooth_slice_growth;
  const int64_t threshold = smooth ? 256 : 1024;
  if (old_cap < threshold) return doublecap;
  // go1.17: grow by 1.25x; go1.18+: a smooth transition from 2x to 1.25x.
  while (newcap > 0 && newcap < new_len) {
    newcap += smooth ? (newcap + 3 * threshold) / 4 : newcap / 4;
  }
  return newcap <= 0 ? new_len : newcap;
}

AllocEstimate GoAllocModel::GrowSlice(int64_t old_cap, int64_t new_len, uint64_t elem_size,
                                      bool elem_noscan) const {
  if (elem_size == 0 || new_len <= 0) return {};
  const int64_t newcap = NextSliceCap(new_len, old_cap);
  if (newcap <= 0) return {};
  const uint64_t rounded = RoundUpSize(static_cast<uint64_t>(newcap) * elem_size, elem_noscan);
  uint64_t capmem = rounded;
  // go1.20+ recomputes capmem from the rounded-down capacity for sizes other than 1 and 8;
  // go1.17-1.19 allocate the full rounded size.
  if (release_->growslice_trims_capmem && elem_size != 1 && elem_size != 8) {
    capmem = (rounded / elem_size) * elem_size;
  }
  return Malloc(capmem, elem_noscan);
}

AllocEstimate GoAllocModel::MoveSlice(uint64_t len_or_cap, uint64_t elem_size, bool elem_noscan,
                                      bool with_cap) const {
  const uint64_t size = len_or_cap * elem_size;
  return Malloc(with_cap ? size : RoundUpSize(size, elem_noscan), elem_noscan);
}

AllocEstimate GoAllocModel::MakeSlice(int64_t len, int64_t cap, uint64_t elem_size,
                                      bool elem_noscan) const {
  // runtime/slice.go makeslice: mallocgc(et.size*cap, et, true); panics (no allocation) on a
  // negative length or a length above the capacity. Sizes beyond maxAlloc panic too; that is
  // far above anything a probe can see succeed, so only the arithmetic's overflow is checked.
  if (len < 0 || len > cap || elem_size == 0) return {};
  const uint64_t n = static_cast<uint64_t>(cap);
  if (n > UINT64_MAX / elem_size) return {};
  return Malloc(n * elem_size, elem_noscan);
}

AllocEstimate GoAllocModel::MakeMapSmall() const {
  return Malloc(swiss_ ? kSwissMapSize : hmap_size_, /*noscan=*/false);
}

AllocEstimate GoAllocModel::MakeMap(int64_t hint, bool header_on_stack, uint64_t sized_size,
                                    bool sized_noscan) const {
  if (swiss_) return SwissMakeMap(hint, header_on_stack, sized_size, sized_noscan);
  return ClassicMakeMap(hint, header_on_stack, sized_size, sized_noscan);
}

bool GoAllocModel::OverLoadFactor(uint64_t count, unsigned b) const {
  // overLoadFactor(c, B) = c > 8 && c > loadFactorNum * (2^B / 2)
  return count > 8 && count > static_cast<uint64_t>(load_factor_num_) * ((uint64_t{1} << b) / 2);
}

AllocEstimate GoAllocModel::BucketArray(unsigned b, uint64_t bucket_size, bool bucket_noscan,
                                        bool* preallocated_overflow) const {
  const uint64_t base = uint64_t{1} << b;
  uint64_t nbuckets = base;
  if (b >= 4) {
    nbuckets += uint64_t{1} << (b - 4);
    const uint64_t sz = bucket_size * nbuckets;
    const uint64_t up = RoundUpSize(sz, bucket_noscan);
    if (up != sz) nbuckets = up / bucket_size;
  }
  *preallocated_overflow = nbuckets != base;
  return Malloc(bucket_size * nbuckets, bucket_noscan);
}

AllocEstimate GoAllocModel::ClassicMakeMap(int64_t hint, bool header_on_stack,
                                           uint64_t bucket_size, bool bucket_noscan) const {
  AllocEstimate total = header_on_stack ? AllocEstimate{} : Malloc(hmap_size_, false);
  if (bucket_size == 0 || hint < 0) return total;
  unsigned b = 0;
  while (b < 63 && OverLoadFactor(static_cast<uint64_t>(hint), b)) ++b;
  if (b == 0) return total;  // buckets are allocated lazily by the first assignment
  bool overflow = false;
  total += BucketArray(b, bucket_size, bucket_noscan, &overflow);
  if (overflow) total += Malloc(kMapExtraSize, false);  // h.extra = new(mapextra)
  return total;
}

AllocEstimate GoAllocModel::HashGrow(uint64_t count, unsigned b, uint64_t bucket_size,
                                     bool bucket_noscan) const {
  if (bucket_size == 0 || b > 62) return {};
  const unsigned bigger = OverLoadFactor(count + 1, b) ? 1 : 0;  // else a same-size grow
  bool overflow = false;
  return BucketArray(b + bigger, bucket_size, bucket_noscan, &overflow);
}

AllocEstimate GoAllocModel::HashGrowFromHeader(std::span<const uint64_t> hmap_words,
                                               uint64_t bucket_size, bool bucket_noscan) const {
  if (hmap_words.size() < 2) return {};
  const unsigned b = static_cast<unsigned>((hmap_words[1] >> 8) & 0xff);  // flags @8, B @9
  return HashGrow(hmap_words[0], b, bucket_size, bucket_noscan);
}

AllocEstimate GoAllocModel::SwissNewTable(uint64_t capacity, uint64_t group_size,
                                          bool group_noscan) const {
  AllocEstimate t = Malloc(kSwissTableSize, false);
  t += Malloc(group_size * (capacity / kSwissGroupSlots), group_noscan);
  return t;
}

AllocEstimate GoAllocModel::SwissMakeMap(int64_t hint, bool header_on_stack, uint64_t group_size,
                                         bool group_noscan) const {
  AllocEstimate total = header_on_stack ? AllocEstimate{} : Malloc(kSwissMapSize, false);
  if (hint <= static_cast<int64_t>(kSwissGroupSlots) || group_size == 0) return total;
  // maps.NewMap: target capacity hint*8/7, split across a power-of-two directory of tables of
  // at most 1024 slots each; every table allocates capacity/8 groups.
  const uint64_t target = static_cast<uint64_t>(hint) * 8 / 7;
  uint64_t dir_size = (target + kSwissMaxTableCapacity - 1) / kSwissMaxTableCapacity;
  dir_size = std::bit_ceil(dir_size);
  uint64_t capacity = std::max<uint64_t>(kSwissGroupSlots, target / dir_size);
  capacity = std::min<uint64_t>(std::bit_ceil(capacity), kSwissMaxTableCapacity);
  total += Malloc(8 * dir_size, /*noscan=*/false);  // make([]*table, dirSize)
  for (uint64_t i = 0; i < dir_size; i++) total += SwissNewTable(capacity, group_size, group_noscan);
  return total;
}

}  // namespace goretain
