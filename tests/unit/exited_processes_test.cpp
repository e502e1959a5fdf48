// Issue 13 item 5 (memory bounded for a node agent whose targets restart), without a kernel:
// ExitedProcesses keeps the newest exited processes' rows with their pid and folds older ones,
// counted, into rows without a pid; both aggregators retire a process from synthetic events
// (its final rows returned, its call sites freed so a new process's sites get rows of their own
// under --max-callsites); the report's outputs say how many were folded.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "goretain.h"
#include "userspace/analysis/aggregator.h"
#include "userspace/analysis/exited_processes.h"
#include "userspace/analysis/sample_aggregator.h"
#include "userspace/goruntime/go_releases.h"
#include "userspace/http/metrics_text.h"
#include "userspace/output/json.h"
#include "userspace/output/table.h"

namespace goretain {
namespace {

CallsiteRow Row(int pid, const std::string& function, int line, uint64_t bytes,
                std::optional<uint64_t> retained, bool leaking = false) {
  CallsiteRow r;
  r.kind = Kind::kSliceMake;
  r.site = SourceFrame{function, "/src/main.go", line};
  r.exe = "/app/server";
  r.pid = pid;
  r.labels.pod = "web-1";
  r.labels.namespace_ = "prod";
  r.alloc_objects = bytes / 8;
  r.heap_objects = bytes / 8;
  r.alloc_bytes = bytes;
  r.retained_bytes = retained;
  r.retained_objects = retained ? std::optional<uint64_t>(*retained / 8) : std::nullopt;
  r.retained_history = {{1, 8}, {2, 16}};
  if (leaking) {
    r.leaking = true;
    r.leak = LeakFinding{1000.0 * pid, 12, 80};
  }
  return r;
}

ReportTarget Target(int pid) {
  ReportTarget t;
  t.pid = pid;
  t.exe = "/app/server";
  t.labels.pod = "web-1";
  t.labels.namespace_ = "prod";
  return t;
}

const CallsiteRow* Find(const Report& r, int pid, int line) {
  for (const CallsiteRow& c : r.callsites) {
    if (c.pid == pid && c.site.line == line) return &c;
  }
  return nullptr;
}

TEST(ExitedProcesses, KeepsTheNewestWithTheirPidAndFoldsOlderOnesCounted) {
  ExitedProcesses exited(/*max_kept=*/2, /*max_rows=*/100);
  // Five restarts of one service: each allocates at line 10 (bytes 100*pid) and line 20; pid 102
  // leaked at line 10, pid 103 had no retained figure there (no GC checked before it exited).
  for (int pid = 101; pid <= 105; pid++) {
    std::optional<uint64_t> retained = pid == 103 ? std::nullopt : std::optional<uint64_t>(pid);
    exited.Add(Target(pid), {Row(pid, "main.handle", 10, 100 * pid, retained, pid == 102),
                             Row(pid, "main.load", 20, 8, 0)});
  }
  Report r;
  exited.AppendTo(r);
  EXPECT_EQ(r.exited.processes, 5u);
  EXPECT_EQ(r.exited.kept, 2u);
  EXPECT_EQ(r.exited.folded, 3u);
  EXPECT_EQ(r.exited.rows_folded_into_other, 0u);
  ASSERT_EQ(r.targets.size(), 2u);  // the folded processes' targets are dropped
  EXPECT_EQ(r.targets[0].pid, 104);
  EXPECT_EQ(r.targets[1].pid, 105);
  EXPECT_TRUE(r.targets[0].exited && r.targets[1].exited);
  // The newest two: their own rows, as they were (history included), flagged exited.
  const CallsiteRow* own = Find(r, 105, 10);
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->alloc_bytes, 10500u);
  EXPECT_EQ(own->retained_bytes, 105u);
  EXPECT_EQ(own->retained_history.size(), 2u);
  EXPECT_TRUE(own->exited);
  EXPECT_EQ(own->folded_processes, 0u);
  EXPECT_EQ(Find(r, 101, 10), nullptr);
  // The three oldest, folded without a pid: figures summed, the leak kept, labels kept.
  const CallsiteRow* folded = Find(r, 0, 10);
  ASSERT_NE(folded, nullptr);
  EXPECT_EQ(folded->folded_processes, 3u);
  EXPECT_EQ(folded->alloc_bytes, 100u * (101 + 102 + 103));
  EXPECT_EQ(folded->alloc_objects, 10100u / 8 + 10200u / 8 + 10300u / 8);
  EXPECT_EQ(folded->retained_bytes, 101u + 102u);  // 103 had none
  EXPECT_TRUE(folded->leaking);
  ASSERT_TRUE(folded->leak.has_value());
  EXPECT_DOUBLE_EQ(folded->leak->rise_bytes, 102000);
  EXPECT_TRUE(folded->retained_history.empty());
  EXPECT_EQ(folded->labels.pod, "web-1");
  EXPECT_EQ(folded->exe, "/app/server");
  const CallsiteRow* folded20 = Find(r, 0, 20);
  ASSERT_NE(folded20, nullptr);
  EXPECT_EQ(folded20->folded_processes, 3u);
  EXPECT_FALSE(folded20->leaking);
  EXPECT_EQ(r.callsites.size(), 2u * 2 + 2);
}

TEST(ExitedProcesses, RowsAreBoundedToo) {
  // Each process has 3 rows; at most 4 kept rows, so only one process is kept with its pid.
  ExitedProcesses exited(/*max_kept=*/10, /*max_rows=*/4);
  for (int pid = 1; pid <= 3; pid++) {
    exited.Add(Target(pid), {Row(pid, "main.a", 10 * pid, 8, 8), Row(pid, "main.b", 10 * pid + 1, 8, 8),
                             Row(pid, "main.c", 10 * pid + 2, 8, 8)});
  }
  EXPECT_EQ(exited.counts().kept, 1u);
  EXPECT_EQ(exited.counts().folded, 2u);
  EXPECT_EQ(exited.kept_rows(), 3u);
  // The two folded processes have 6 distinct lines: 4 rows, the other 2 into "(other)".
  EXPECT_EQ(exited.folded_rows(), 5u);
  EXPECT_EQ(exited.counts().rows_folded_into_other, 2u);
  Report r;
  exited.AppendTo(r);
  uint64_t bytes = 0;
  const CallsiteRow* other = nullptr;
  for (const CallsiteRow& c : r.callsites) {
    bytes += c.alloc_bytes;
    if (c.site.function == "(other)") other = &c;
  }
  EXPECT_EQ(bytes, 9u * 8);  // nothing lost
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->alloc_bytes, 16u);
  EXPECT_EQ(other->folded_processes, 1u);  // both rows came from the second process folded
  // Zero kept: every exited process is folded at once.
  ExitedProcesses none(0, 100);
  none.Add(Target(7), {Row(7, "main.a", 1, 8, 8)});
  EXPECT_EQ(none.counts().kept, 0u);
  EXPECT_EQ(none.counts().folded, 1u);
}

TEST(ExitedProcesses, OutputsSayHowManyWereFolded) {
  ExitedProcesses exited(1, 100);
  exited.Add(Target(11), {Row(11, "main.handle", 10, 800, 8)});
  exited.Add(Target(12), {Row(12, "main.handle", 10, 1600, 16)});
  exited.Add(Target(13), {Row(13, "main.handle", 10, 2400, 24)});
  Report r;
  r.targets.push_back(Target(14));  // a live one
  exited.AppendTo(r);
  const std::string json = RenderJson(r, 0);
  EXPECT_NE(json.find(R"("exited_processes":{"exited":3,"kept":1,"folded":2,)"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("folded_processes":2)"), std::string::npos) << json;
  const std::string table = RenderTable(r, 0);
  EXPECT_NE(table.find("3 processes exited: 1 kept with their pid, 2 folded into rows without a "
                       "pid (--max-exited)"), std::string::npos) << table;
  EXPECT_NE(table.find("goretain: pid 13 /app/server () pod prod/web-1 (exited)"),
            std::string::npos) << table;
  MetricsText metrics(MetricsOptions{50, "9.9.9"});
  const std::string text = metrics.Render(r);
  EXPECT_NE(text.find("goretain_exited_processes_folded_total 2"), std::string::npos) << text;
  EXPECT_NE(text.find("goretain_exited_processes_total 3"), std::string::npos) << text;
  // The folded row's series has no pid but its executable, and is marked.
  EXPECT_NE(text.find(R"(goretain_alloc_bytes_total{pid="",kind="slice.make",function="main.handle",)"
                      R"(file="/src/main.go",line="10",type="",namespace="prod",pod="web-1",)"
                      R"(exited="folded",exe="/app/server"} 2400)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(goretain_alloc_bytes_total{pid="13",)"), std::string::npos) << text;
}

// --- the aggregators, fed synthetic events against a real Go executable's tables ---

class RetireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bin = symbols::GoBinary::Open(std::string(GORETAIN_TARGETS_DIR) + "/counts");
    ASSERT_TRUE(bin.ok()) << bin.error().message;
    const symbols::GoVersion version = (*bin)->build_info().go_version;
    ProbePlan plan;
    plan.go_version = version;
    traced_ = std::make_unique<TracedBinary>(TracedBinary{
        ExecutableId{1, 1}, "counts", std::move(*bin), std::move(plan),
        GoAllocModel(version, false), std::nullopt});
    for (const char* name : {"main.makeMapsWithHint", "main.makeSmallMaps", "main.appendOnce",
                             "main.main"}) {
      const symbols::Function* fn = traced_->binary->FindFunction(name);
      ASSERT_NE(fn, nullptr) << name;
      // A return address one byte in: resolved as the function's first instruction.
      sites_.push_back(fn->entry.value + 1);
    }
  }

  // make([]byte, bytes) at site `site` of `pid` (exact mode's direct mallocgc probe).
  gr_event Alloc(uint32_t pid, size_t site, uint64_t bytes) const {
    gr_event e{};
    e.pid = pid;
    e.kind = GR_KIND_SLICE_MAKE;
    e.func = GR_FUNC_CALL_MALLOCGC;
    e.args[0] = bytes;
    e.stack_depth = 1;
    e.stack[0] = sites_[site] + kBias;
    return e;
  }
  // A heap sample of `bytes` at `addr` (runtime.mProf_Malloc's arguments for this release).
  gr_event Sample(uint32_t pid, size_t site, uint64_t addr, uint64_t bytes) const {
    gr_event e{};
    e.pid = pid;
    e.kind = GR_KIND_SAMPLE;
    e.func = GR_FUNC_MPROF_MALLOC;
    const GoRelease* release = FindGoRelease(traced_->plan.go_version);
    e.args[release->mprof_malloc_p_arg] = addr;
    e.args[release->mprof_malloc_p_arg + 1] = bytes;
    e.stack_depth = 1;
    e.stack[0] = sites_[site] + kBias;
    return e;
  }
  static constexpr size_t kSize = GR_EVENT_HEADER_SIZE + sizeof(uint64_t);
  static constexpr uint64_t kBias = 0x10000;

  std::unique_ptr<TracedBinary> traced_;
  std::vector<uint64_t> sites_;
};

TEST_F(RetireTest, ExactAggregatorFreesAnExitedProcessSoANewOneGetsRowsOfItsOwn) {
  Aggregator agg(0, nullptr, /*max_callsites=*/2);
  agg.AddProcess(TracedProcess{100, traced_.get(), kBias});
  agg.OnEvent(Alloc(100, 0, 64), kSize);
  agg.OnEvent(Alloc(100, 0, 64), kSize);
  agg.OnEvent(Alloc(100, 1, 128), kSize);
  // The cap is full: a second process's new site is folded while pid 100's sites hold it.
  agg.AddProcess(TracedProcess{200, traced_.get(), kBias});
  agg.OnEvent(Alloc(200, 2, 32), kSize);
  EXPECT_EQ(agg.folded().callsites, 1u);
  std::vector<CallsiteRow> rows = agg.Rows();
  ASSERT_EQ(rows.size(), 3u);

  const std::vector<CallsiteRow> final_rows = agg.RetireProcess(100);
  ASSERT_EQ(final_rows.size(), 2u);
  for (const CallsiteRow& r : final_rows) {
    EXPECT_EQ(r.pid, 100);
    if (r.site.function == "main.makeMapsWithHint") {
      EXPECT_EQ(r.alloc_objects, 2u);
      EXPECT_EQ(r.alloc_bytes, 128u);
    } else {
      EXPECT_EQ(r.site.function, "main.makeSmallMaps");
      EXPECT_EQ(r.alloc_objects, 1u);
      EXPECT_EQ(r.alloc_bytes, 128u);
    }
  }
  // Nothing of pid 100 is left; its later events are unattributed.
  rows = agg.Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].pid, 200);
  EXPECT_EQ(rows[0].site.function, Aggregator::kFoldedFunction);
  agg.OnEvent(Alloc(100, 0, 64), kSize);
  EXPECT_EQ(agg.unattributed(), 1u);
  // A new process (a restart) gets rows of its own: the slots pid 100 held are free.
  agg.AddProcess(TracedProcess{300, traced_.get(), kBias});
  agg.OnEvent(Alloc(300, 3, 16), kSize);
  agg.OnEvent(Alloc(300, 0, 16), kSize);
  EXPECT_EQ(agg.folded().callsites, 1u);  // still only pid 200's
  rows = agg.Rows();
  ASSERT_EQ(rows.size(), 3u);
  for (const CallsiteRow& r : rows) {
    if (r.pid == 300) EXPECT_NE(r.site.function, Aggregator::kFoldedFunction);
  }
  // Retiring pid 200 frees its folded row too.
  EXPECT_EQ(agg.RetireProcess(200).size(), 1u);
  EXPECT_EQ(agg.Rows().size(), 2u);
  EXPECT_TRUE(agg.gc_sweepgens().empty());
}

TEST_F(RetireTest, SampleAggregatorReturnsTheProcessRowsAndFreesItsSamples) {
  SampleAggregator smp(0, /*all_kinds=*/true);  // the synthetic stacks have no runtime frames
  smp.AddProcess(TracedProcess{100, traced_.get(), kBias}, /*rate=*/1);
  smp.AddProcess(TracedProcess{200, traced_.get(), kBias}, 1);
  smp.OnEvent(Sample(100, 0, 0xc000010000, 64), kSize);
  smp.OnEvent(Sample(100, 0, 0xc000010040, 64), kSize);
  smp.OnEvent(Sample(100, 1, 0xc000020000, 32), kSize);
  smp.OnEvent(Sample(200, 0, 0xc000010000, 16), kSize);  // same address, other process
  gr_event gc{};
  gc.kind = GR_KIND_GC;
  gc.pid = 100;
  smp.OnEvent(gc, GR_EVENT_HEADER_SIZE);
  smp.OnEvent(gc, GR_EVENT_HEADER_SIZE);  // two cycles: the samples are settled, in use

  const std::vector<CallsiteRow> rows = smp.RetireProcess(100);
  ASSERT_EQ(rows.size(), 2u);
  for (const CallsiteRow& r : rows) {
    EXPECT_EQ(r.pid, 100);
    ASSERT_TRUE(r.samples.has_value());
    if (r.site.function == "main.makeMapsWithHint") {
      EXPECT_EQ(r.alloc_bytes, 128u);  // rate 1: every byte sampled
      EXPECT_EQ(r.retained_bytes, 128u);
      EXPECT_EQ(r.samples->alloc_objects, 2u);
    } else {
      EXPECT_EQ(r.site.function, "main.makeSmallMaps");
      EXPECT_EQ(r.alloc_bytes, 32u);
    }
  }
  // Only pid 200's row is left, and its sample (at the same address) is still matched by a free.
  std::vector<CallsiteRow> left = smp.Rows();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].alloc_bytes, 16u);
  EXPECT_TRUE(smp.RetireProcess(100).empty());
  smp.OnEvent(Sample(100, 2, 0xc000030000, 64), kSize);  // after its exit: ignored
  EXPECT_EQ(smp.Rows().size(), 1u);
  EXPECT_EQ(smp.RetireProcess(200).size(), 1u);
  EXPECT_TRUE(smp.Rows().empty());
  EXPECT_FALSE(smp.ReportedRate().has_value());
}

}  // namespace
}  // namespace goretain
