// GoAllocModel::MakeSlice / MakeSliceCopy against bytes measured on real runtimes
// (testing.Benchmark AllocedBytesPerOp of `s = make([]T, n[, m])`, go1.19.8 and go1.22/1.23).
#include <gtest/gtest.h>

#include "userspace/goruntime/go_alloc_model.h"

namespace goretain {
namespace {

symbols::GoVersion Go(int minor) { return symbols::GoVersion{1, minor, 0, "go1." + std::to_string(minor)}; }

constexpr bool kNoscan = true, kPointers = false;

TEST(MakeSliceModel, SizeClassesAndLargeObjectsMatchMeasuredBytes) {
  for (int minor : {19, 22, 23}) {
    const GoAllocModel m(Go(minor), minor >= 24);
    EXPECT_EQ(m.MakeSlice(1024, 1024, 1, kNoscan).bytes, 1024u) << minor;  // []byte
    EXPECT_EQ(m.MakeSlice(20, 20, 1, kNoscan).bytes, 24u) << minor;        // class 24
    EXPECT_EQ(m.MakeSlice(33000, 33000, 1, kNoscan).bytes, 40960u) << minor;  // 5 pages
    EXPECT_EQ(m.MakeSlice(100, 100, 8, kNoscan).bytes, 896u) << minor;     // []int64
    // make([]T, len, cap): the capacity is what is allocated.
    EXPECT_EQ(m.MakeSlice(10, 100, 8, kNoscan).bytes, 896u) << minor;
    EXPECT_EQ(m.MakeSlice(4090, 4090, 8, kPointers).bytes, 32768u) << minor;
    EXPECT_EQ(m.MakeSliceCopy(10, 8, kPointers).bytes, 80u) << minor;
    EXPECT_EQ(m.MakeSlice(10, 100, 8, kNoscan).objects, 1u);
  }
}

TEST(MakeSliceModel, PointerfulSlicesCarryAMallocHeaderFromGo122) {
  const GoAllocModel go119(Go(19), false), go122(Go(22), false);
  // make([]*T, 128): 1024 B of pointers; go1.22+ adds an 8-byte header: class(1032) = 1152.
  EXPECT_EQ(go119.MakeSlice(128, 128, 8, kPointers).bytes, 1024u);
  EXPECT_EQ(go122.MakeSlice(128, 128, 8, kPointers).bytes, 1152u);
  // make([]struct{int; *T}, 0, 40): 640 B -> 704 with the header.
  EXPECT_EQ(go119.MakeSlice(0, 40, 16, kPointers).bytes, 640u);
  EXPECT_EQ(go122.MakeSlice(0, 40, 16, kPointers).bytes, 704u);
}

TEST(MakeSliceModel, NothingReachesTheHeapForEmptyOrPanickingMakes) {
  const GoAllocModel m(Go(19), false);
  EXPECT_EQ(m.MakeSlice(0, 0, 8, kNoscan).objects, 0u);     // &zerobase
  EXPECT_EQ(m.MakeSlice(5, 5, 0, kNoscan).objects, 0u);     // []struct{}
  EXPECT_EQ(m.MakeSlice(-1, 4, 8, kNoscan).objects, 0u);    // panics: len out of range
  EXPECT_EQ(m.MakeSlice(5, 4, 8, kNoscan).objects, 0u);     // panics: cap out of range
  EXPECT_EQ(m.MakeSlice(1, int64_t{1} << 62, 16, kNoscan).objects, 0u);  // overflows
  // Tiny (pointer-free, < 16 B): recorded at its requested size (see README).
  EXPECT_EQ(m.MakeSlice(8, 8, 1, kNoscan).bytes, 8u);
}

}  // namespace
}  // namespace goretain
