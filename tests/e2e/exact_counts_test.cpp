// counts: exactly known allocations (tests/targets/counts/main.go), traced by --pid on the
// running process (every build variant) and by `-- COMMAND` from its first instruction.
#include <signal.h>

#include "harness.h"

namespace e2e {
namespace {

// make(map[int]int, 100) on go1.19: hmap 48 + 18 buckets of 144 B in a 2688 B size class
// + mapextra 24 (overflow buckets were preallocated) = 2760 B.
// make(map[string]int) escaping = makemap_small: hmap 48 B.
// append(nil []int64, x): growslice to cap 1 = 8 B (a tiny, pointer-free object).
std::vector<ExpectedSite> CountsSites(int64_t hint, int64_t small, int64_t appends) {
  return {
      {"map.make", "hint", "main.makeMapsWithHint", hint, 2760 * hint, {"map[int]int"}},
      {"map.make", "small", "main.makeSmallMaps", small, 48 * small, {"map[string]int"}},
      {"slice.grow", "once", "main.appendOnce", appends, 8 * appends, {"[]int64"}},
  };
}

class CountsPid : public E2ETest, public ::testing::WithParamInterface<std::string> {};

TEST_P(CountsPid, ExactCountsAndBytes) {
  const std::string exe = Target("counts", GetParam());
  Traced t;
  json report;
  ASSERT_TRUE(TraceToEnd({exe}, {}, &t, &report));
  EXPECT_NE(t.target.Stdout().find("counts: done"), std::string::npos) << t.target.Describe();
  ExpectReportHeader(report, t.target.pid(), exe, 6000);
  for (const auto& site : CountsSites(1000, 2000, 3000)) ExpectSite(report, "counts", site);
}

// The fallback for kernels without uprobe_multi links (before 6.6): one perf-event uprobe per
// probe, forced with GORETAIN_UPROBE_MULTI=0. Same exact figures.
TEST_F(E2ETest, ClassicUprobesGiveTheSameCounts) {
  const std::string exe = Target("counts");
  Traced t;
  json report;
  ASSERT_TRUE(TraceToEnd({exe}, {"-v"}, &t, &report, kTimeout, {"GORETAIN_UPROBE_MULTI=0"}));
  const std::string err = t.goretain.Stderr();
  EXPECT_EQ(err.find("uprobe_multi link"), std::string::npos) << "classic uprobes expected";
  EXPECT_NE(err.find("attached runtime.makemap at file offset"), std::string::npos);
  ExpectReportHeader(report, t.target.pid(), exe, 6000);
  for (const auto& site : CountsSites(1000, 2000, 3000)) ExpectSite(report, "counts", site);
}

INSTANTIATE_TEST_SUITE_P(Variants, CountsPid,
                         ::testing::Values("default", "stripped", "pie", "noopt"),
                         [](const auto& info) { return info.param; });

class CountsCommand : public E2ETest, public ::testing::WithParamInterface<std::string> {};

// `goretain -- COMMAND`: traced from the first instruction, so no -wait is needed; the command's
// output goes where goretain's does, the report to --output.
TEST_P(CountsCommand, ExactCountsFromFirstInstruction) {
  const std::string exe = Target("counts", GetParam());
  const fs::path out = tmp_ / "report.json";
  Process gr = Goretain({"--format", "json", "--output", out.string(), "--", exe, "-hint", "500",
                         "-small", "700", "-append", "900"});
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();
  EXPECT_NE(gr.Stdout().find("counts: done"), std::string::npos)
      << "the command's stdout should be goretain's stdout\n" << gr.Describe();
  EXPECT_NE(gr.Stderr().find("probes attached"), std::string::npos) << gr.Describe();

  json report;
  ASSERT_TRUE(OneReport(ReadFile(out), &report)) << gr.Describe();
  ASSERT_TRUE(report.contains("targets") && report["targets"].size() == 1) << report.dump();
  pid_t child = report["targets"][0].value("pid", -1);
  EXPECT_GT(child, 0);
  EXPECT_NE(child, gr.pid()) << "the command runs in its own process";
  ExpectReportHeader(report, child, exe, 2100);
  for (const auto& site : CountsSites(500, 700, 900)) ExpectSite(report, "counts", site);
}

INSTANTIATE_TEST_SUITE_P(Variants, CountsCommand, ::testing::Values("default", "pie"),
                         [](const auto& info) { return info.param; });

class Command : public E2ETest {};

// Like strace: goretain's exit status is the command's.
TEST_F(Command, ExitStatusIsTheCommands) {
  for (int code : {0, 3, 7}) {
    SCOPED_TRACE("exit " + std::to_string(code));
    const fs::path out = tmp_ / ("report-" + std::to_string(code) + ".json");
    Process gr = Goretain({"--format", "json", "--output", out.string(), "--", Target("loadgen"),
                           "-goroutines", "2", "-per", "10", "-exit", std::to_string(code)});
    ASSERT_EQ(gr.Wait(), code) << gr.Describe();
    EXPECT_NE(gr.Stdout().find("loadgen: done"), std::string::npos) << gr.Describe();
    json report;
    ASSERT_TRUE(OneReport(ReadFile(out), &report)) << gr.Describe();
    const json* c = FindCallsite(report, "map.make", "main.makeSmallMap",
                                 WantLine("loadgen", "map.make", "small"));
    ASSERT_NE(c, nullptr) << DescribeCallsites(report);
    EXPECT_EQ(c->value("alloc_objects", -1), 20);
  }
}

// The report goes to --output, not stdout, and --top limits the callsites to the largest ones.
TEST_F(Command, TopKeepsTheLargestCallsites) {
  const fs::path out = tmp_ / "report.json";
  Process gr = Goretain({"--format", "json", "--top", "2", "--output", out.string(), "--",
                         Target("counts")});
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();
  json report;
  ASSERT_TRUE(OneReport(ReadFile(out), &report));
  ASSERT_EQ(report["callsites"].size(), 2u) << DescribeCallsites(report);
  // By bytes: hint maps 2,760,000 B > small maps 96,000 B > appends 24,000 B.
  EXPECT_NE(FindCallsite(report, "map.make", "main.makeMapsWithHint",
                         WantLine("counts", "map.make", "hint")),
            nullptr)
      << DescribeCallsites(report);
  EXPECT_NE(FindCallsite(report, "map.make", "main.makeSmallMaps",
                         WantLine("counts", "map.make", "small")),
            nullptr)
      << DescribeCallsites(report);
}

// --stack-depth N records the call stack of each callsite, innermost first, up to N frames.
TEST_F(Command, StackDepthRecordsCallers) {
  const fs::path out = tmp_ / "report.json";
  Process gr = Goretain({"--format", "json", "--stack-depth", "4", "--output", out.string(), "--",
                         Target("counts")});
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();
  json report;
  ASSERT_TRUE(OneReport(ReadFile(out), &report));
  const json* c = FindCallsite(report, "map.make", "main.makeMapsWithHint",
                               WantLine("counts", "map.make", "hint"));
  ASSERT_NE(c, nullptr) << DescribeCallsites(report);
  EXPECT_EQ(c->value("alloc_objects", -1), 1000);
  ASSERT_TRUE(c->contains("stack") && (*c)["stack"].is_array()) << c->dump();
  const json& stack = (*c)["stack"];
  EXPECT_GE(stack.size(), 2u) << c->dump();
  EXPECT_LE(stack.size(), 4u) << c->dump();
  // makeMapsWithHint is called by main.main.
  EXPECT_NE(stack.dump().find("main.main"), std::string::npos) << c->dump();
}

}  // namespace
}  // namespace e2e
