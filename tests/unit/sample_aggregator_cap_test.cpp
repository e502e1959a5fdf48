// --max-callsites in --sample mode (issue 12 item 5) without a process: the SampleAggregator fed
// the events the sampler's probes send (a sample of mProf_Malloc with its stack, a free of its
// profile special, a GC cycle), at return addresses of a real Go 1.19 executable so that every
// site resolves as in a trace. Beyond the cap, new sites fold into their kind's "(other)" row,
// counted as in exact mode; a folded sample's free is matched there; rows under the cap are those
// of an uncapped aggregator; a retired process's sites leave the cap's count.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "goretain.h"
#include "symbols/go_binary.h"
#include "userspace/analysis/aggregator.h"
#include "userspace/analysis/sample_aggregator.h"
#include "userspace/goruntime/go_releases.h"

namespace goretain {
namespace {

constexpr pid_t kPid = 4242;
constexpr uint64_t kRate = 512 * 1024;
constexpr uint64_t kObjectSize = 4096;

class SampleAggregatorCap : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bin = symbols::GoBinary::Open(std::string(GORETAIN_TARGETS_DIR) + "/leak1_maplist");
    ASSERT_TRUE(bin.ok()) << bin.error().message;
    const symbols::GoVersion version = (*bin)->build_info().go_version;
    binary_ = std::make_unique<TracedBinary>(TracedBinary{
        {}, "leak1_maplist", std::move(*bin), {}, GoAllocModel(version, false), std::nullopt});
    binary_->plan.go_version = version;
    release_ = FindGoRelease(version);
    ASSERT_NE(release_, nullptr);
    const symbols::Function* makemap = binary_->binary->FindFunction("runtime.makemap");
    ASSERT_NE(makemap, nullptr);
    runtime_return_ = makemap->entry.value + 1;
    // Call sites: the first line of functions outside the runtime, each its own row.
    for (const symbols::Function& fn : binary_->binary->functions()) {
      if (user_returns_.size() == 6) break;
      const uint64_t ret = fn.entry.value + 1;
      const auto res = binary_->binary->Resolve(ElfVaddr{ret}, symbols::PcKind::kReturnAddress);
      if (res.frames.size() == 1 && !IsRuntimeFrame(res.frames.front()) &&
          res.frames.front().line > 0) {
        user_returns_.push_back(ret);
      }
    }
    ASSERT_EQ(user_returns_.size(), 6u);
  }

  void Attach(SampleAggregator& agg) {
    agg.AddProcess(TracedProcess{kPid, binary_.get(), 0}, kRate);
  }

  void Sample(SampleAggregator& agg, size_t site, uint64_t addr) {
    gr_event e = Event(GR_KIND_SAMPLE);
    e.args[release_->mprof_malloc_p_arg] = addr;
    e.args[release_->mprof_malloc_p_arg + 1] = kObjectSize;
    e.stack_depth = 2;
    e.stack[0] = runtime_return_;
    e.stack[1] = user_returns_.at(site);
    agg.OnEvent(e, GR_EVENT_HEADER_SIZE + 2 * sizeof(uint64_t));
  }

  void Free(SampleAggregator& agg, uint64_t addr) {
    gr_event e = Event(GR_KIND_SAMPLE_FREE);
    e.func = GR_FUNC_FREE_SPECIAL;
    e.args[1] = addr;
    std::memcpy(reinterpret_cast<uint8_t*>(e.deref) + release_->special_kind_off,
                &release_->special_profile_kind, 1);
    agg.OnEvent(e, GR_EVENT_HEADER_SIZE);
  }

  void Cycle(SampleAggregator& agg) { agg.OnEvent(Event(GR_KIND_GC), GR_EVENT_HEADER_SIZE); }

  static const CallsiteRow* Folded(const std::vector<CallsiteRow>& rows) {
    for (const CallsiteRow& r : rows) {
      if (r.site.function == Aggregator::kFoldedFunction) return &r;
    }
    return nullptr;
  }

  std::unique_ptr<TracedBinary> binary_;
  const GoRelease* release_ = nullptr;
  uint64_t runtime_return_ = 0;
  std::vector<uint64_t> user_returns_;

 private:
  gr_event Event(uint32_t kind) {
    gr_event e{};
    e.ts_ns = ++now_ns_ * 1000000;
    e.pid = kPid;
    e.kind = kind;
    return e;
  }
  uint64_t now_ns_ = 0;
};

TEST_F(SampleAggregatorCap, FoldsSitesBeyondTheCapAndCountsThemAndTheirSamples) {
  SampleAggregator agg(8, /*all_kinds=*/true, /*max_callsites=*/3);
  Attach(agg);
  for (size_t site = 0; site < 6; site++) Sample(agg, site, 0x1000 * (site + 1));
  Sample(agg, 4, 0x9000);  // a folded site again: one more sample, not one more site
  Sample(agg, 0, 0xa000);  // a kept site again
  EXPECT_EQ(agg.folded().callsites, 3u);
  EXPECT_EQ(agg.folded().allocations, 4u);
  EXPECT_FALSE(agg.folded().callsites_at_least);
  const std::vector<CallsiteRow> rows = agg.Rows();
  ASSERT_EQ(rows.size(), 4u);  // three own rows and the kind's "(other)"
  const CallsiteRow* other = Folded(rows);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->site.file, "");
  EXPECT_EQ(other->site.line, 0);
  EXPECT_TRUE(other->stack.empty());
  EXPECT_EQ(other->samples->alloc_objects, 4u);
  uint64_t samples = 0;
  for (const CallsiteRow& r : rows) samples += r.samples->alloc_objects;
  EXPECT_EQ(samples, 8u);  // none lost
}

TEST_F(SampleAggregatorCap, FreeOfAFoldedSampleIsMatchedInTheFoldedRow) {
  SampleAggregator agg(8, true, 1);
  Attach(agg);
  Sample(agg, 0, 0x1000);
  Sample(agg, 1, 0x2000);  // folded
  Sample(agg, 2, 0x3000);  // folded
  Cycle(agg);              // born before the last cycle: in use as of it
  const std::vector<CallsiteRow> before = agg.Rows();
  const CallsiteRow* other = Folded(before);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->samples->inuse_objects, 2u);
  const uint64_t two = *other->retained_bytes;
  EXPECT_GT(two, 0u);

  Free(agg, 0x2000);
  EXPECT_EQ(agg.unmatched_frees(), 0u);
  const std::vector<CallsiteRow> after = agg.Rows();
  other = Folded(after);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->samples->inuse_objects, 1u);
  EXPECT_EQ(other->samples->alloc_objects, 2u);
  EXPECT_NEAR(static_cast<double>(*other->retained_bytes) * 2, static_cast<double>(two), 1);
  for (const CallsiteRow& r : after) {
    if (&r != other) {
      EXPECT_EQ(r.samples->inuse_objects, 1u);  // the kept site's, untouched
    }
  }
}

TEST_F(SampleAggregatorCap, RowsUnderTheCapAreTheUncappedRows) {
  SampleAggregator capped(8, true, 6), uncapped(8, true);
  for (SampleAggregator* agg : {&capped, &uncapped}) {
    Attach(*agg);
    for (size_t site = 0; site < 6; site++) {
      for (uint64_t i = 0; i <= site; i++) Sample(*agg, site, 0x100000 * (site + 1) + 0x1000 * i);
    }
    Cycle(*agg);
    Free(*agg, 0x300000);
  }
  EXPECT_EQ(capped.folded().callsites, 0u);
  EXPECT_EQ(capped.folded().allocations, 0u);
  const std::vector<CallsiteRow> a = capped.Rows(), b = uncapped.Rows();
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(Folded(a), nullptr);
  for (size_t i = 0; i < a.size(); i++) {
    SCOPED_TRACE(b[i].site.function);
    EXPECT_EQ(a[i].site.function, b[i].site.function);
    EXPECT_EQ(a[i].site.file, b[i].site.file);
    EXPECT_EQ(a[i].site.line, b[i].site.line);
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].alloc_bytes, b[i].alloc_bytes);
    EXPECT_EQ(a[i].retained_bytes, b[i].retained_bytes);
    EXPECT_EQ(a[i].samples->alloc_objects, b[i].samples->alloc_objects);
    EXPECT_EQ(a[i].samples->inuse_objects, b[i].samples->inuse_objects);
    EXPECT_EQ(a[i].pcs.size(), b[i].pcs.size());
  }
}

// A retired process's sites, folded ones included, leave the cap's count: the next process's
// first site gets a row of its own.
TEST_F(SampleAggregatorCap, RetiredProcessLeavesTheCap) {
  SampleAggregator agg(8, true, 1);
  Attach(agg);
  Sample(agg, 0, 0x1000);
  Sample(agg, 1, 0x2000);  // folded
  EXPECT_EQ(agg.RetireProcess(kPid).size(), 2u);
  Attach(agg);
  Sample(agg, 2, 0x3000);
  const std::vector<CallsiteRow> rows = agg.Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].site.function, Aggregator::kFoldedFunction);
  EXPECT_EQ(agg.folded().callsites, 1u);  // the count is the session's: the first one stays
}

}  // namespace
}  // namespace goretain
