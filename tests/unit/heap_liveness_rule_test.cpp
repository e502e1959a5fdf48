// The heap liveness decision rule, the stripped-binary sweepgen decoder and the per-release heap
// layouts, on synthetic input and on real binaries' files (tests/targets/liveness, npm's Go
// 1.17-1.27 binaries): no process is started.
#include "userspace/process/heap_reader.h"
#include "userspace/goruntime/heap_code.h"
#include "userspace/goruntime/heap_layout.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "symbols/go_binary.h"
#include "tests/support/liveness_target.h"
#include "tests/support/npm_go_binaries.h"

namespace goretain {
namespace {

TEST(HeapLiveness, DecisionRule) {
  uint8_t bits[4] = {0b00000101, 0, 0, 0};  // objects 0 and 2
  SpanSnapshot s;
  s.start = 0xc000100000;
  s.elemsize = 48;
  s.nelems = 170;
  s.limit = s.start + 48 * 170;
  s.npages = 1;
  s.state = 1;
  s.sizeclass = 5;
  s.freeindex = 4;
  s.bits = bits;
  const uint32_t h = 100;
  auto obj = [&](uint64_t i, uint32_t epoch = TrackedObject::kUnknownSweepgen) {
    return TrackedObject{s.start + i * 48, 48, epoch};
  };

  s.sweepgen = h - 2;  // unswept: mark bits decide, freeindex does not matter
  EXPECT_EQ(DecideLiveness(s, h, obj(0)).reason, LiveReason::kMarked);
  EXPECT_EQ(DecideLiveness(s, h, obj(1)).reason, LiveReason::kNotMarked);
  s.sweepgen = h + 1;  // cached before the sweep began: same
  EXPECT_EQ(DecideLiveness(s, h, obj(2)).state, LiveState::kLive);
  EXPECT_EQ(DecideLiveness(s, h, obj(3)).state, LiveState::kFreed);

  for (uint32_t sg : {h, h + 3}) {  // swept: alloc bits, plus freeindex for young objects
    s.sweepgen = sg;
    EXPECT_EQ(DecideLiveness(s, h, obj(2)).reason, LiveReason::kSurvivedLastGc);
    EXPECT_EQ(DecideLiveness(s, h, obj(1)).reason, LiveReason::kAllocatedSinceSweep);
    EXPECT_EQ(DecideLiveness(s, h, obj(1, h)).reason, LiveReason::kAllocatedSinceSweep);
    // Allocated before the last cycle: the slot was handed out again, the object is gone.
    EXPECT_EQ(DecideLiveness(s, h, obj(1, h - 2)).reason, LiveReason::kSweptFree);
    EXPECT_EQ(DecideLiveness(s, h, obj(5)).reason, LiveReason::kSweptFree);
  }
  s.sweepgen = h - 1;
  EXPECT_EQ(DecideLiveness(s, h, obj(0)).reason, LiveReason::kSweepRace);

  // Wrap-around of sweepgen.
  s.sweepgen = 0xfffffffe;
  EXPECT_EQ(DecideLiveness(s, 0, obj(0)).reason, LiveReason::kMarked);

  s.sweepgen = h;
  TrackedObject wrong_size = obj(0);
  wrong_size.size = 100;  // the span now holds 48-byte objects: reused for another size class
  EXPECT_EQ(DecideLiveness(s, h, wrong_size).reason, LiveReason::kSpanFreed);
  TrackedObject outside{s.limit, 48};
  EXPECT_EQ(DecideLiveness(s, h, outside).reason, LiveReason::kSpanFreed);
  s.state = 0;
  EXPECT_EQ(DecideLiveness(s, h, obj(0)).reason, LiveReason::kSpanFreed);
  s.state = 2;  // now a stack
  EXPECT_EQ(DecideLiveness(s, h, obj(0)).reason, LiveReason::kSpanFreed);
}

TEST(HeapLiveness, SizesHeadersAndLargeObjects) {
  uint8_t one[1] = {1};
  SpanSnapshot s;
  s.state = 1;
  s.sweepgen = 10;
  s.bits = one;
  // go1.22+ 600-byte pointerful object: slot of class(608) = 640, pointer = base + 8.
  s.start = 0xc000200000;
  s.elemsize = 640;
  s.nelems = 12;
  s.limit = s.start + 640 * 12;
  s.sizeclass = 31;
  s.malloc_headers = true;
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start + 8, 600}).state, LiveState::kLive);
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start + 8, 640}).state, LiveState::kLive);
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start + 8, 0}).state, LiveState::kLive);
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start + 8, 700}).state, LiveState::kFreed);
  // Tiny allocator: a 8-byte object in a 16-byte block.
  s.elemsize = 16;
  s.sizeclass = 2;
  s.nelems = 512;
  s.limit = s.start + 8192;
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start + 8, 8}).state, LiveState::kLive);
  // Large object: one element, page-rounded.
  s.sizeclass = 0;
  s.elemsize = 5 * 8192;
  s.nelems = 1;
  s.npages = 5;
  s.limit = s.start + 40000;
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start, 40000}).state, LiveState::kLive);
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start, 40960}).state, LiveState::kLive);
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start, 50000}).state, LiveState::kFreed);
}

TEST(HeapLiveness, GreenTeaInlineMarks) {
  uint8_t none[2] = {0, 0};
  uint8_t inline_marks[63] = {0b10};
  SpanSnapshot s;
  s.state = 1;
  s.start = 0xc000300000;
  s.elemsize = 64;
  s.nelems = 126;
  s.limit = s.start + 64 * 126;
  s.sizeclass = 6;
  s.sweepgen = 8;  // unswept for h = 10
  s.bits = none;
  s.inline_marks = inline_marks;
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start + 64, 64}).reason, LiveReason::kMarked);
  EXPECT_EQ(DecideLiveness(s, 10, TrackedObject{s.start, 64}).reason, LiveReason::kNotMarked);
}

TEST(HeapLiveness, SweepgenIncrementDecoding) {
  // ADDL $2, 0x1000(RIP) at 0x400000: target = 0x400000 + 7 + 0x1000.
  std::vector<uint8_t> add_mem = {0x90, 0x83, 0x05, 0x00, 0x10, 0x00, 0x00, 0x02};
  EXPECT_EQ(FindSweepgenIncrement(add_mem, 0x400000), 0x400001u + 7 + 0x1000);
  // MOVL 0x2000(RIP), AX; ADDL $2, AX; MOVL AX, 0x1ff7(RIP) (same global).
  std::vector<uint8_t> load_add_store = {0x8b, 0x05, 0x00, 0x20, 0x00, 0x00, 0x83, 0xc0,
                                         0x02, 0x89, 0x05, 0xf7, 0x1f, 0x00, 0x00};
  EXPECT_EQ(FindSweepgenIncrement(load_add_store, 0x400000), 0x400006u + 0x2000);
  // ADDL $1 is not it; nor is a store of another register.
  std::vector<uint8_t> add_one = {0x83, 0x05, 0x00, 0x10, 0x00, 0x00, 0x01};
  EXPECT_FALSE(FindSweepgenIncrement(add_one, 0x400000));
  EXPECT_FALSE(FindSweepgenIncrement({}, 0x400000));
}

// ---------------------------------------------------------------------------------------------
// Layouts: runtime.mheap_ from runtime.gcSweep's code equals the symbol, on our targets and on
// real Go 1.17-1.27 binaries.


void ExpectCodeMatchesSymbol(const std::string& path) {
  auto bin = symbols::GoBinary::Open(path);
  ASSERT_TRUE(bin.ok()) << path;
  auto layout = HeapLayout::For(**bin);
  ASSERT_TRUE(layout.ok()) << path << ": " << layout.error().message;
  const symbols::Function* sweep = (*bin)->FindFunction("runtime.gcSweep");
  ASSERT_NE(sweep, nullptr) << path;
  auto inc = FindSweepgenIncrement((*bin)->Code(*sweep), sweep->entry.value);
  ASSERT_TRUE(inc) << path;
  auto sym = (*bin)->elf().FindSymbol("runtime.mheap_");
  if (sym) {
    EXPECT_EQ(layout->mheap_source, HeapLayout::MheapSource::kSymtab);
    EXPECT_EQ(*inc - layout->mheap_sweepgen, sym->value.value) << path;
  } else {
    EXPECT_EQ(layout->mheap_source, HeapLayout::MheapSource::kGcSweepCode);
    EXPECT_EQ(*inc - layout->mheap_sweepgen, layout->mheap.value) << path;
  }
}

TEST(HeapLayout, MheapFromCodeMatchesSymbol) {
  for (const char* v : {"default", "pie", "noopt"}) ExpectCodeMatchesSymbol(LivenessTargetPath(v));
  auto stripped = symbols::GoBinary::Open(LivenessTargetPath("stripped"));
  ASSERT_TRUE(stripped.ok());
  auto layout = HeapLayout::For(**stripped);
  ASSERT_TRUE(layout.ok());
  // (Its data is laid out differently from the default build's, so there is no symbol to compare
  // with here: the exact answers of HeapReaderVariants/stripped show the address is right.)
  EXPECT_EQ(layout->mheap_source, HeapLayout::MheapSource::kGcSweepCode);
}

TEST(HeapLayout, RealBinariesGo117To127) {
  for (const auto& [version, rel] : NpmGoBinaries()) {
    SCOPED_TRACE(version);
    const std::string path = NpmPath(rel);
    ASSERT_TRUE(std::filesystem::exists(path)) << path << " (scripts/install-npm-binaries.sh)";
    ExpectCodeMatchesSymbol(path);
    auto bin = symbols::GoBinary::Open(path);
    ASSERT_TRUE(bin.ok());
    EXPECT_EQ((*bin)->build_info().go_version.raw, version);
    auto layout = HeapLayout::For(**bin);
    ASSERT_TRUE(layout.ok());
    EXPECT_EQ(layout->green_tea, version == "go1.27.3");
    EXPECT_EQ(layout->malloc_headers, version >= "go1.22");
  }
}

// A real Go process of each version: attach, and every goroutine descriptor (runtime.allgs, all
// heap objects that are never freed) and allgs' own backing array must be live.
}  // namespace
}  // namespace goretain
