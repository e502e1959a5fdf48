// GoAllocModel against figures measured on real Go runtimes (testing.Benchmark AllocedBytesPerOp,
// go-runtime.md §3.7) and against the runtime's own size-class rules.
#include "userspace/goruntime/go_alloc_model.h"

#include <gtest/gtest.h>

namespace goretain {
namespace {

symbols::GoVersion Go(int minor) { return symbols::GoVersion{1, minor, 0, "go1." + std::to_string(minor)}; }

// map[int]int: classic bucket = 8 tophash + 8*8 keys + 8*8 values + 8 overflow = 144 B, noscan.
constexpr uint64_t kIntIntBucket = 144;
// Swiss group for map[int]int: 8 ctrl + 8 slots * 16 = 136 B, noscan.
constexpr uint64_t kIntIntGroup = 136;

TEST(GoSizeClass, RoundsUpToTheRuntimesClasses) {
  EXPECT_EQ(GoSizeClass(1), 8u);
  EXPECT_EQ(GoSizeClass(48), 48u);
  EXPECT_EQ(GoSizeClass(49), 64u);
  EXPECT_EQ(GoSizeClass(2448), 2688u);
  EXPECT_EQ(GoSizeClass(1017), 1024u);
  EXPECT_EQ(GoSizeClass(32768), 32768u);
}

TEST(GoAllocModel, MallocTinyLargeAndHeaders) {
  GoAllocModel go119(Go(19), false), go122(Go(22), false);
  EXPECT_EQ(go119.MallocBytes(0, true), 0u);
  EXPECT_EQ(go119.MallocBytes(8, true), 8u);     // tiny: recorded as requested
  EXPECT_EQ(go119.MallocBytes(8, false), 8u);    // pointerful: its own 8-byte slot
  EXPECT_EQ(go119.MallocBytes(12, false), 16u);
  EXPECT_EQ(go119.MallocBytes(40896, true), 40960u);  // large: whole pages
  EXPECT_EQ(go119.MallocBytes(32768, false), 32768u); // still small before go1.22
  EXPECT_EQ(go122.MallocBytes(32768, false), 32768u); // large from go1.22: 4 pages
  EXPECT_EQ(go122.MallocBytes(32761, true), 32768u);
  EXPECT_EQ(go122.MallocBytes(1024, false), 1152u);   // header: class(1024 + 8)
  EXPECT_EQ(go122.MallocBytes(1024, true), 1024u);    // noscan: no header
}

TEST(GoAllocModel, ClassicMakeMapMatchesMeasuredBytes) {
  GoAllocModel go119(Go(19), false), go121(Go(21), false), go122(Go(22), false);
  EXPECT_EQ(go119.MakeMapBytes(9, false, kIntIntBucket, true), 336u);
  EXPECT_EQ(go119.MakeMapBytes(13, false, kIntIntBucket, true), 336u);
  EXPECT_EQ(go121.MakeMapBytes(13, false, kIntIntBucket, true), 624u);  // load factor 6 in 1.21
  EXPECT_EQ(go119.MakeMapBytes(27, false, kIntIntBucket, true), 1200u);
  EXPECT_EQ(go119.MakeMapBytes(100, false, kIntIntBucket, true), 2760u);
  EXPECT_EQ(go121.MakeMapBytes(100, false, kIntIntBucket, true), 5448u);
  EXPECT_EQ(go122.MakeMapBytes(100, false, kIntIntBucket, true), 2760u);
  EXPECT_EQ(go119.MakeMapBytes(1000, false, kIntIntBucket, true), 41032u);
  EXPECT_EQ(go119.MakeMapBytes(5000, false, kIntIntBucket, true), 163912u);
}

TEST(GoAllocModel, StackHeaderAndSmallHintsAllocateNoBuckets) {
  GoAllocModel go119(Go(19), false);
  EXPECT_EQ(go119.MakeMapBytes(8, true, kIntIntBucket, true), 0u);    // all on the stack
  EXPECT_EQ(go119.MakeMapBytes(8, false, kIntIntBucket, true), 48u);  // header only
  EXPECT_EQ(go119.MakeMapBytes(100, true, kIntIntBucket, true), 2712u);
  EXPECT_EQ(go119.MakeMapSmallBytes(), 48u);
}

TEST(GoAllocModel, SwissMakeMapMatchesMeasuredBytes) {
  GoAllocModel go124(Go(24), true);
  ASSERT_TRUE(go124.swiss_maps());
  EXPECT_EQ(go124.MakeMapBytes(9, false, kIntIntGroup, true), 376u);
  EXPECT_EQ(go124.MakeMapBytes(27, false, kIntIntGroup, true), 664u);
  EXPECT_EQ(go124.MakeMapBytes(100, false, kIntIntGroup, true), 2392u);
  EXPECT_EQ(go124.MakeMapBytes(1000, false, kIntIntGroup, true), 36992u);
  EXPECT_EQ(go124.MakeMapBytes(5000, false, kIntIntGroup, true), 147824u);
  EXPECT_EQ(go124.MakeMapSmallBytes(), 48u);
}

// Appending one element at a time from nil: the sum over all growslice calls.
uint64_t AppendFromNil(const GoAllocModel& m, int n, uint64_t elem, bool noscan) {
  uint64_t total = 0;
  int64_t cap = 0;
  for (int len = 1; len <= n; len++) {
    if (len > cap) {
      total += m.GrowSliceBytes(cap, len, elem, noscan);
      cap = m.NextSliceCap(len, cap);
      // growslice rounds the capacity up to the size class.
      cap = static_cast<int64_t>(m.RoundUpSize(cap * elem, noscan) / elem);
    }
  }
  return total;
}

TEST(GoAllocModel, GrowSliceMatchesMeasuredBytes) {
  GoAllocModel go117(Go(17), false), go119(Go(19), false), go122(Go(22), false);
  EXPECT_EQ(AppendFromNil(go119, 1, 8, true), 8u);
  EXPECT_EQ(AppendFromNil(go119, 5, 8, true), 120u);
  EXPECT_EQ(AppendFromNil(go119, 17, 8, true), 504u);
  EXPECT_EQ(AppendFromNil(go119, 5, 24, true), 360u);  // [3]int64
  EXPECT_EQ(AppendFromNil(go119, 1025, 8, true), 25208u);
  EXPECT_EQ(AppendFromNil(go122, 1025, 8, true), 25208u);
  EXPECT_EQ(AppendFromNil(go117, 1025, 8, true), 26616u);
}

TEST(GoAllocModel, GrowSliceZeroSizeElementsAllocateNothing) {
  GoAllocModel go119(Go(19), false);
  EXPECT_EQ(go119.GrowSliceBytes(0, 10, 0, true), 0u);
}

}  // namespace
}  // namespace goretain

namespace goretain {
namespace {

TEST(GoAllocModel, HashGrowMatchesFillingAMap) {
  // Filling an empty map[int]int with 9 keys on go1.19 allocates 480 B (go-runtime.md §3.7):
  // makemap_small 48, the first bucket 144 (in mapassign), and at the 9th insert hashGrow from
  // B=0 (count 8) to B=1: 2 buckets = 288.
  GoAllocModel go119(Go(19), false);
  const AllocEstimate grow = go119.HashGrow(8, 0, kIntIntBucket, true);
  EXPECT_EQ(grow.bytes, 288u);
  EXPECT_EQ(grow.objects, 1u);
  EXPECT_EQ(go119.MakeMapSmallBytes() + go119.Malloc(kIntIntBucket, true).bytes + grow.bytes, 480u);
}

TEST(GoAllocModel, HashGrowPreallocatesOverflowBuckets) {
  GoAllocModel go119(Go(19), false);
  // count 104 at B=4 overloads (104 + 1 > 13 * 8): grow to B=5, 32 + 2 overflow buckets rounded
  // into the 5376 B size class (37 buckets = 5328 B). (h.extra is a separate allocation.)
  const AllocEstimate fresh = go119.HashGrow(104, 4, kIntIntBucket, true);
  EXPECT_EQ(fresh.bytes, 5376u);
  EXPECT_EQ(fresh.objects, 1u);
  const uint64_t header[] = {104, uint64_t{4} << 8};  // count, then flags/B/noverflow/hash0
  EXPECT_EQ(go119.HashGrowFromHeader(header, kIntIntBucket, true).bytes, 5376u);
  // Not overloaded (too many overflow buckets): a same-size grow.
  EXPECT_EQ(go119.HashGrow(10, 4, kIntIntBucket, true).bytes, 2688u);
}

TEST(GoAllocModel, SwissNewTableIsHeaderPlusGroups) {
  GoAllocModel go125(Go(25), true);
  const AllocEstimate t = go125.SwissNewTable(1024, kIntIntGroup, true);
  EXPECT_EQ(t.bytes, 32u + 18432u);  // 128 groups * 136 B = 17408 -> 18432 size class
  EXPECT_EQ(t.objects, 2u);
}

TEST(GoAllocModel, MoveSliceAllocatesTheEscapingCopy) {
  GoAllocModel go126(Go(26), true);
  EXPECT_EQ(go126.MoveSlice(5, 8, true, true).bytes, 48u);   // mallocgc(40): 48 B size class
  EXPECT_EQ(go126.MoveSlice(5, 8, true, false).bytes, 48u);  // roundupsize(40) first: the same
  EXPECT_EQ(go126.MoveSlice(1, 8, true, false).bytes, 8u);   // tiny: the requested size
  EXPECT_EQ(go126.MoveSlice(100, 8, false, true).bytes, 896u);  // 800 B + 8 B header -> 896
  EXPECT_EQ(go126.MoveSlice(0, 8, true, true).objects, 0u);
}

}  // namespace
}  // namespace goretain
