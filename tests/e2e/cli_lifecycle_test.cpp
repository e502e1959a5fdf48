// The CLI's lifecycle: table output, --duration, signals, --interval. The long-running target is
// leakydemo; every test checks it is still alive and healthy after goretain detached (a leftover
// breakpoint would kill it with SIGTRAP within milliseconds: it serves a request every 2 ms).
#include <signal.h>

#include <cstring>
#include <sstream>
#include <thread>

#include "harness.h"

namespace e2e {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Keeps serving after goretain is gone, then stops cleanly on SIGTERM (exit 0).
void ExpectUnharmed(Process& demo) {
  ASSERT_TRUE(demo.Running()) << "target died\n" << demo.Describe();
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(demo.Running()) << "target died after goretain detached\n" << demo.Describe();
  demo.Signal(SIGTERM);
  EXPECT_EQ(demo.Wait(10s), 0) << demo.Describe();
  EXPECT_NE(demo.Stderr().find("leakydemo: stopping after"), std::string::npos) << demo.Describe();
}

class Cli : public E2ETest {};

TEST_F(Cli, TableIsAlignedAndSortedByBytes) {
  Traced t;
  ASSERT_TRUE(TraceGated({Target("counts")}, {"--format", "table"}, &t));
  ASSERT_EQ(t.target.Wait(), 0) << t.target.Describe();
  Process& gr = t.goretain;
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();

  const std::vector<std::string> lines = Lines(gr.Stdout());
  // Bytes: makeMapsWithHint 2,760,000 > makeSmallMaps 96,000 > appendOnce 24,000.
  const std::vector<std::pair<std::string, int>> want = {
      {"main.makeMapsWithHint", WantLine("counts", "map.make", "hint")},
      {"main.makeSmallMaps", WantLine("counts", "map.make", "small")},
      {"main.appendOnce", WantLine("counts", "slice.grow", "once")},
  };
  std::vector<size_t> row, col;
  for (const auto& [fn, line] : want) {
    size_t found = lines.size();
    for (size_t i = 0; i < lines.size(); i++) {
      if (lines[i].find(fn) == std::string::npos) continue;
      ASSERT_EQ(found, lines.size()) << fn << " appears on several rows:\n" << gr.Stdout();
      found = i;
    }
    ASSERT_LT(found, lines.size()) << fn << " missing from the table:\n" << gr.Stdout();
    EXPECT_NE(lines[found].find(":" + std::to_string(line)), std::string::npos)
        << "row lacks file:line " << line << ": " << lines[found];
    row.push_back(found);
    col.push_back(lines[found].find(fn));
  }
  EXPECT_LT(row[0], row[1]) << "not sorted by bytes:\n" << gr.Stdout();
  EXPECT_LT(row[1], row[2]) << "not sorted by bytes:\n" << gr.Stdout();
  EXPECT_EQ(col[0], col[1]) << "function column not aligned:\n" << gr.Stdout();
  EXPECT_EQ(col[1], col[2]) << "function column not aligned:\n" << gr.Stdout();

  // A header line above the rows, with a column title starting where the function column does.
  size_t header = lines.size();
  for (size_t i = 0; i < row[0]; i++)
    if (lines[i].find_first_not_of(" -=") != std::string::npos) header = i;
  ASSERT_LT(header, row[0]) << "no header line:\n" << gr.Stdout();
  const std::string& h = lines[header];
  ASSERT_LT(col[0], h.size()) << "header shorter than the rows:\n" << gr.Stdout();
  EXPECT_TRUE(h[col[0]] != ' ' && (col[0] == 0 || h[col[0] - 1] == ' '))
      << "header column titles not aligned with the function column:\n" << gr.Stdout();
}

TEST_F(Cli, DurationEndsTracingAndLeavesTargetRunning) {
  Process demo({Target("leakydemo"), "-rate", "500"});
  ASSERT_TRUE(demo.WaitForStderr("serving")) << demo.Describe();
  Process gr = Goretain(
      {"--pid", std::to_string(demo.pid()), "--duration", "3", "--format", "json"});
  ASSERT_TRUE(Attached(gr));
  auto attached = std::chrono::steady_clock::now();
  auto rc = gr.WaitNoKill(3s + 5s);
  ASSERT_TRUE(rc.has_value()) << "goretain still running 5 s after --duration 3\n" << gr.Describe();
  auto took = std::chrono::steady_clock::now() - attached;
  EXPECT_GE(took, 2500ms) << "stopped before --duration";
  ASSERT_EQ(*rc, 0) << gr.Describe();

  json report;
  ASSERT_TRUE(OneReport(gr.Stdout(), &report));
  ExpectReportHeader(report, demo.pid(), Target("leakydemo"), 1000);
  ASSERT_TRUE(report["elapsed_s"].is_number());
  EXPECT_GE(report["elapsed_s"].get<double>(), 2.5);
  EXPECT_LE(report["elapsed_s"].get<double>(), 6.0);
  // 500 requests/s for ~3 s; one audit entry per request.
  const json* c = FindCallsite(report, "map.make", "main.audit",
                               WantLine("leakydemo", "map.make", "audit-entry"));
  ASSERT_NE(c, nullptr) << DescribeCallsites(report);
  EXPECT_GE(c->value("alloc_objects", 0), 900) << c->dump();
  EXPECT_LE(c->value("alloc_objects", 0), 2500) << c->dump();
  ExpectUnharmed(demo);
}

class CliSignal : public E2ETest, public ::testing::WithParamInterface<int> {};

TEST_P(CliSignal, SignalPrintsFinalReportAndExitsZero) {
  Process demo({Target("leakydemo"), "-rate", "500"});
  ASSERT_TRUE(demo.WaitForStderr("serving")) << demo.Describe();
  Process gr = Goretain({"--pid", std::to_string(demo.pid()), "--format", "json"});
  ASSERT_TRUE(Attached(gr));
  std::this_thread::sleep_for(2s);
  ASSERT_TRUE(gr.Running()) << "goretain exited without a signal\n" << gr.Describe();
  gr.Signal(GetParam());
  auto rc = gr.Wait(10s);
  ASSERT_TRUE(rc.has_value()) << "goretain ignored " << strsignal(GetParam());
  ASSERT_EQ(*rc, 0) << gr.Describe();

  json report;
  ASSERT_TRUE(OneReport(gr.Stdout(), &report));
  ExpectReportHeader(report, demo.pid(), Target("leakydemo"), 500);
  const json* c = FindCallsite(report, "map.make", "main.parseHeaders",
                               WantLine("leakydemo", "map.make", "control-headers"));
  ASSERT_NE(c, nullptr) << DescribeCallsites(report);
  // ~2 s at 500 requests/s, one header map each.
  EXPECT_GE(c->value("alloc_objects", 0), 500) << c->dump();
  EXPECT_LE(c->value("alloc_objects", 0), 2500) << c->dump();
  EXPECT_EQ(c->value("alloc_bytes", int64_t{0}), 48 * c->value("alloc_objects", int64_t{0}))
      << c->dump();
  ExpectUnharmed(demo);
}

INSTANTIATE_TEST_SUITE_P(Signals, CliSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) {
                           return std::string(info.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

TEST_F(Cli, IntervalPrintsOneJsonReportPerLine) {
  Process demo({Target("leakydemo"), "-rate", "500"});
  ASSERT_TRUE(demo.WaitForStderr("serving")) << demo.Describe();
  Process gr = Goretain({"--pid", std::to_string(demo.pid()), "--interval", "1", "--duration",
                         "3", "--format", "json"});
  ASSERT_TRUE(Attached(gr));
  ASSERT_EQ(gr.Wait(3s + 5s), 0) << gr.Describe();

  int reports = 0;
  double last_elapsed = 0;
  for (const auto& line : Lines(gr.Stdout())) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    SCOPED_TRACE(line.substr(0, 200));
    std::vector<json> in_line;
    ASSERT_NO_THROW(in_line = ParseReports(line)) << "not one JSON object per line";
    ASSERT_EQ(in_line.size(), 1u);
    const json& r = in_line[0];
    EXPECT_EQ(r.value("schema", ""), "goretain.report/v1");
    ASSERT_TRUE(r.contains("elapsed_s") && r["elapsed_s"].is_number());
    EXPECT_GE(r["elapsed_s"].get<double>(), last_elapsed) << "elapsed_s went backwards";
    last_elapsed = r["elapsed_s"].get<double>();
    EXPECT_TRUE(r.contains("callsites") && r["callsites"].is_array());
    reports++;
  }
  // Intervals at ~1 s and ~2 s (maybe 3 s) plus the final report.
  EXPECT_GE(reports, 3) << gr.Stdout();
  EXPECT_LE(reports, 5) << gr.Stdout();
  ExpectUnharmed(demo);
}

}  // namespace
}  // namespace e2e
