// Issue 12 items 3 and 5 without a process: where the heap profile's globals are (from .symtab,
// and from the runtime's code as in stripped binaries, on every tested release and on npm's
// stripped third-party binaries), pprof's unsampling, the kind of a bucket from its runtime
// frames, the before-attach merge, and the call-site cap.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "symbols/go_binary.h"
#include "tests/support/npm_go_binaries.h"
#include "userspace/analysis/before_attach.h"
#include "userspace/analysis/callsite_cap.h"
#include "userspace/goruntime/profile_layout.h"

namespace goretain {
namespace {

std::string TargetPath(const std::string& name) {
  return std::string(GORETAIN_TARGETS_DIR) + "/" + name;
}

// On binaries with a symbol table: the code rule finds the very addresses .symtab names.
TEST(ProfileLayout, CodeRuleFindsTheSymbolsAddressOnEveryRelease) {
  for (const std::string name : {"preattach", "preattach-go1.21", "preattach-go1.22",
                                 "preattach-go1.23", "preattach-go1.24", "preattach-go1.26",
                                 "preattach-go1.27"}) {
    SCOPED_TRACE(name);
    auto bin = symbols::GoBinary::Open(TargetPath(name));
    ASSERT_TRUE(bin.ok()) << bin.error().message;
    auto layout = ProfileLayout::For(**bin);
    ASSERT_TRUE(layout.ok()) << layout.error().message;
    EXPECT_EQ(layout->source, ProfileLayout::Source::kSymtab);
    EXPECT_TRUE(layout->profile_reader_linked);
    EXPECT_EQ(layout->byte_counters, name != "preattach-go1.27");
    for (auto [reader, global] : {std::pair{"runtime.mProf_FlushLocked", layout->mbuckets},
                                  std::pair{"runtime.allocmcache", layout->mem_profile_rate}}) {
      const symbols::Function* fn = (*bin)->FindFunction(reader);
      ASSERT_NE(fn, nullptr) << reader;
      EXPECT_EQ(FindFirstRipLoad((*bin)->Code(*fn), fn->entry.value), global.value) << reader;
    }
  }
}

TEST(ProfileLayout, StrippedBinariesFromCode) {
  auto bin = symbols::GoBinary::Open(TargetPath("preattach-stripped"));
  ASSERT_TRUE(bin.ok());
  auto stripped = ProfileLayout::For(**bin);
  ASSERT_TRUE(stripped.ok()) << stripped.error().message;
  EXPECT_EQ(stripped->source, ProfileLayout::Source::kCode);
  // Third-party stripped binaries of other releases: found, in writable data (checked by For).
  for (const auto& [version, rel] : NpmGoBinaries()) {
    SCOPED_TRACE(version);
    auto npm = symbols::GoBinary::Open(NpmPath(rel));
    ASSERT_TRUE(npm.ok()) << npm.error().message;
    auto layout = ProfileLayout::For(**npm);
    ASSERT_TRUE(layout.ok()) << layout.error().message;
    EXPECT_NE(layout->mbuckets.value, layout->mem_profile_rate.value);
  }
}

TEST(ProfileLayout, BinaryWithoutAProfileReader) {
  // `noprofile` never calls runtime.MemProfile: its linker disabled heap profiling.
  auto bin = symbols::GoBinary::Open(TargetPath("noprofile"));
  ASSERT_TRUE(bin.ok());
  auto layout = ProfileLayout::For(**bin);
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_FALSE(layout->profile_reader_linked);
}

TEST(BeforeAttach, ScaleHeapSampleAsPprof) {
  EXPECT_EQ(ScaleHeapSample(0, 100, 512 * 1024).objects, 0);
  EXPECT_EQ(ScaleHeapSample(10, 4096, 1).bytes, 4096);  // rate 1: exact
  const Unsampled u = ScaleHeapSample(4, 4 * 1024, 512 * 1024);
  const double scale = 1 / (1 - std::exp(-1024.0 / (512 * 1024)));
  EXPECT_DOUBLE_EQ(u.objects, 4 * scale);
  EXPECT_DOUBLE_EQ(u.bytes, 4096 * scale);
  // A large object is (almost) always sampled: scale ~1.
  EXPECT_NEAR(ScaleHeapSample(1, 64 << 20, 512 * 1024).objects, 1.0, 1e-9);
}

TEST(BeforeAttach, KindFromRuntimeFrames) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(KindFromRuntimeFrames(V{"runtime.mallocgc", "runtime.growslice"}), Kind::kSliceGrow);
  EXPECT_EQ(KindFromRuntimeFrames(V{"runtime.mallocgc", "runtime.makeslice"}), Kind::kSliceMake);
  EXPECT_EQ(KindFromRuntimeFrames(V{"runtime.newarray", "runtime.makeBucketArray",
                                    "runtime.makemap"}), Kind::kMapMake);
  EXPECT_EQ(KindFromRuntimeFrames(V{"runtime.newarray", "runtime.makeBucketArray",
                                    "runtime.hashGrow", "runtime.mapassign_fast64"}),
            Kind::kMapGrow);
  EXPECT_EQ(KindFromRuntimeFrames(V{"internal/runtime/maps.newarray",
                                    "internal/runtime/maps.(*table).grow"}), Kind::kMapGrow);
  EXPECT_EQ(KindFromRuntimeFrames(V{"runtime.mallocgc", "runtime.newobject"}), Kind::kOther);
  EXPECT_EQ(KindFromRuntimeFrames(V{}), Kind::kOther);
  // A mark worker's closure allocated by gcStart inside a makeslice that started the cycle.
  EXPECT_EQ(KindFromRuntimeFrames(V{"runtime.gcBgMarkStartWorkers", "runtime.gcStart",
                                    "runtime.mallocgc", "runtime.makeslice"}), Kind::kOther);
}

TEST(BeforeAttach, MergePutsFiguresBesideTracedOnesNeverIntoThem) {
  CallsiteRow traced;
  traced.kind = Kind::kSliceMake;
  traced.site = {"main.f", "/m.go", 10};
  traced.alloc_bytes = 100;
  traced.alloc_objects = 1;
  CallsiteRow before = traced;
  before.alloc_bytes = 0;
  before.alloc_objects = 0;
  before.before_attach = BeforeAttach{5, 500, 7, 700, 5, 7};
  CallsiteRow elsewhere = before;
  elsewhere.site.line = 11;
  std::vector<CallsiteRow> rows = {traced};
  MergeBeforeAttach(rows, {before, elsewhere});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].alloc_bytes, 100u);  // the traced figures are untouched
  ASSERT_TRUE(rows[0].before_attach);
  EXPECT_EQ(rows[0].before_attach->inuse_bytes, 500u);
  EXPECT_EQ(rows[1].site.line, 11);  // a line not traced since attach gets its own row
  EXPECT_EQ(rows[1].alloc_bytes, 0u);
  // Merging again into fresh rows (the next report) gives the same, not twice the figures.
  std::vector<CallsiteRow> next = {traced};
  MergeBeforeAttach(next, {before, elsewhere});
  EXPECT_EQ(next[0].before_attach->inuse_bytes, 500u);
}

TEST(CallsiteCap, FoldsBeyondTheCapAndCountsDistinctSites) {
  CallsiteCap cap(3);
  size_t kept = 0;
  for (uint64_t site = 1; site <= 3; site++) {
    ASSERT_TRUE(cap.Admit(site, kept, true));
    kept++;
  }
  EXPECT_FALSE(cap.Admit(4, kept, true));
  EXPECT_FALSE(cap.Admit(4, kept, true));   // the same folded site again
  EXPECT_FALSE(cap.Admit(5, kept, false));  // a map insert, not an allocation
  EXPECT_EQ(cap.folded().callsites, 2u);
  EXPECT_EQ(cap.folded().allocations, 2u);
  EXPECT_FALSE(cap.folded().callsites_at_least);
}

TEST(CallsiteCap, CountsAtLeastOnceItsMemoryBoundIsReached) {
  CallsiteCap cap(0);
  for (uint64_t site = 0; site < CallsiteCap::kMaxCounted + 10; site++) cap.Admit(site, 0, true);
  EXPECT_EQ(cap.folded().callsites, CallsiteCap::kMaxCounted);
  EXPECT_TRUE(cap.folded().callsites_at_least);
  EXPECT_EQ(cap.folded().allocations, CallsiteCap::kMaxCounted + 10);
}

}  // namespace
}  // namespace goretain
