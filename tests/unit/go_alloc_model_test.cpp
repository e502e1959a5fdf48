// GoAllocModel against figures measured on real Go runtimes (testing.Benchmark AllocedBytesPerOp,
// go-runtime.md §3.7) and against the runtime's own size-class rules.
#include "userspace/go_alloc_model.h"

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
  GoAllocModel go119(Go(19)), go122(Go(22));
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
  GoAllocModel go119(Go(19)), go121(Go(21)), go122(Go(22));
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
  GoAllocModel go119(Go(19));
  EXPECT_EQ(go119.MakeMapBytes(8, true, kIntIntBucket, true), 0u);    // all on the stack
  EXPECT_EQ(go119.MakeMapBytes(8, false, kIntIntBucket, true), 48u);  // header only
  EXPECT_EQ(go119.MakeMapBytes(100, true, kIntIntBucket, true), 2712u);
  EXPECT_EQ(go119.MakeMapSmallBytes(), 48u);
}

TEST(GoAllocModel, SwissMakeMapMatchesMeasuredBytes) {
  GoAllocModel go124(Go(24));
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
  GoAllocModel go117(Go(17)), go119(Go(19)), go122(Go(22));
  EXPECT_EQ(AppendFromNil(go119, 1, 8, true), 8u);
  EXPECT_EQ(AppendFromNil(go119, 5, 8, true), 120u);
  EXPECT_EQ(AppendFromNil(go119, 17, 8, true), 504u);
  EXPECT_EQ(AppendFromNil(go119, 5, 24, true), 360u);  // [3]int64
  EXPECT_EQ(AppendFromNil(go119, 1025, 8, true), 25208u);
  EXPECT_EQ(AppendFromNil(go122, 1025, 8, true), 25208u);
  EXPECT_EQ(AppendFromNil(go117, 1025, 8, true), 26616u);
}

TEST(GoAllocModel, GrowSliceZeroSizeElementsAllocateNothing) {
  GoAllocModel go119(Go(19));
  EXPECT_EQ(go119.GrowSliceBytes(0, 10, 0, true), 0u);
}

}  // namespace
}  // namespace goretain
