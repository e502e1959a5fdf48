// leakydemo, the program scripts/demo.sh traces: a short trace must put its leaking lines among
// the top call sites, with rates and per-call sizes that follow from the demo's code.
#include <csignal>
#include <cmath>
#include <map>
#include <sstream>

#include "harness.h"

namespace e2e {
namespace {

class Leakydemo : public E2ETest {};

TEST_F(Leakydemo, LeakingLinesAreTopCallsites) {
  constexpr int kRate = 500;  // requests/s
  constexpr int kSeconds = 5;
  Process demo({Target("leakydemo"), "-rate", std::to_string(kRate)});
  ASSERT_TRUE(demo.WaitForStderr("serving")) << demo.Describe();
  Process gr = Goretain({"--pid", std::to_string(demo.pid()), "--duration",
                         std::to_string(kSeconds), "--format", "json", "--top", "10"});
  ASSERT_TRUE(Attached(gr));
  ASSERT_EQ(gr.Wait(std::chrono::seconds(kSeconds) + 10s), 0) << gr.Describe();
  ASSERT_TRUE(demo.Running()) << demo.Describe();

  json report;
  ASSERT_TRUE(OneReport(gr.Stdout(), &report));
  ExpectReportHeader(report, demo.pid(), Target("leakydemo"), 1000);
  EXPECT_LE(report["callsites"].size(), 10u);

  struct Site {
    const char* kind;
    const char* label;
    const char* function;
  };
  const Site sites[] = {
      {"map.make", "trace-tags", "main.lookupTrace"},
      {"slice.grow", "spans", "main.recordSpan"},
      {"map.make", "audit-entry", "main.audit"},
      {"slice.grow", "audit-log", "main.audit"},
      {"map.grow", "trace-index", "main.lookupTrace"},
      {"map.make", "control-headers", "main.parseHeaders"},
      {"map.grow", "control-first-bucket", "main.parseHeaders"},
  };
  std::map<std::string, const json*> found;
  for (const auto& s : sites) {
    SCOPED_TRACE(std::string(s.kind) + " " + s.label);
    EXPECT_EQ(WantFunction("leakydemo", s.kind, s.label), s.function);
    const json* c = FindCallsite(report, s.kind, s.function, WantLine("leakydemo", s.kind, s.label));
    EXPECT_NE(c, nullptr) << "not among the top 10 callsites:\n" << DescribeCallsites(report);
    if (c) {
      EXPECT_GT(c->value("alloc_objects", 0), 0) << c->dump();
      EXPECT_GT(c->value("alloc_bytes", 0), 0) << c->dump();
    }
    found[s.label] = c;
  }
  if (HasFailure()) return;

  auto objects = [&](const char* label) { return found[label]->value("alloc_objects", int64_t{0}); };
  auto bytes = [&](const char* label) { return found[label]->value("alloc_bytes", int64_t{0}); };
  // One audit entry and one header map per request: ~kRate * kSeconds of each.
  const int64_t requests = objects("audit-entry");
  EXPECT_GE(requests, kRate * kSeconds * 6 / 10);
  EXPECT_LE(requests, kRate * kSeconds * 14 / 10);
  EXPECT_LE(std::llabs(objects("control-headers") - requests), 1);
  // Each header map's first insert allocates its first bucket (8 + 8*16 + 8*16 + 8 = 272 B, in
  // the 288 B size class). The start or the end of tracing can fall between one request's make
  // and its first insert (on a loaded machine the target can be descheduled right there).
  EXPECT_LE(std::llabs(objects("control-first-bucket") - objects("control-headers")), 1);
  EXPECT_EQ(bytes("control-first-bucket"), 288 * objects("control-first-bucket"));
  // A new trace every 4 requests.
  EXPECT_NEAR(static_cast<double>(objects("trace-tags")), requests / 4.0, 3.0);
  // 12 spans per trace grow its slice 5 times (caps 1, 2, 4, 8, 16): 1.25 per request.
  EXPECT_NEAR(static_cast<double>(objects("spans")), requests * 1.25, requests * 0.05 + 10);
  // go1.19 sizes: make(map[string]interface{}, 12) = hmap 48 + 2 buckets (544 B, class 576);
  // make(map[string]string, 16) = 48 + 4 buckets (1088 B, class 1152); makemap_small = 48.
  EXPECT_EQ(bytes("audit-entry"), 624 * requests);
  EXPECT_EQ(bytes("trace-tags"), 1200 * objects("trace-tags"));
  EXPECT_EQ(bytes("control-headers"), 48 * objects("control-headers"));
  // Whole traces' span slices take 48+96+192+384+768 = 1488 B per 5 grows; traces cut by the
  // start and end of tracing only shift the average a little.
  EXPECT_NEAR(static_cast<double>(bytes("spans")) / objects("spans"), 1488.0 / 5, 30.0);

  // The leaks (audit entries, trace tags and spans) each outweigh the control.
  for (const char* leak : {"audit-entry", "trace-tags", "spans"})
    EXPECT_GT(bytes(leak), bytes("control-headers")) << leak;

  demo.Signal(SIGTERM);
  EXPECT_EQ(demo.Wait(10s), 0) << demo.Describe();
}

// What scripts/demo.sh shows: its own goretain command (the default mode, a table, --top 10) for
// its default duration prints the demo's leaking lines marked LEAK, and never the control's.
int DemoSeconds() {
  const std::string script = ReadFile(fs::path(GORETAIN_SOURCE_DIR) / "scripts" / "demo.sh");
  const std::string key = "GORETAIN_DEMO_SECONDS:-";
  const size_t at = script.find(key);
  if (at == std::string::npos) return -1;
  return std::stoi(script.substr(at + key.size()));
}

TEST_F(Leakydemo, DemoTableMarksTheLeakingLines) {
  const int seconds = DemoSeconds();
  ASSERT_GT(seconds, 0) << "no GORETAIN_DEMO_SECONDS default in scripts/demo.sh";
  Process demo({Target("leakydemo")});
  ASSERT_TRUE(demo.WaitForStderr("serving")) << demo.Describe();
  Process gr = Goretain({"--pid", std::to_string(demo.pid()), "--duration",
                         std::to_string(seconds), "--top", "10"});
  ASSERT_TRUE(Attached(gr));
  ASSERT_EQ(gr.Wait(std::chrono::seconds(seconds) + 15s), 0) << gr.Describe();
  ASSERT_TRUE(demo.Running()) << demo.Describe();

  // The table row of a marker: the one whose KIND starts with `kind` and that names its line.
  const std::string table = gr.Stdout();
  auto row = [&](const char* kind, const char* label) -> std::string {
    const std::string where = "leakydemo/main.go:" + std::to_string(WantLine("leakydemo", kind, label));
    std::istringstream in(table);
    for (std::string l; std::getline(in, l);) {
      if (l.rfind(kind, 0) == 0 && l.find(where + " ") != std::string::npos) return l;
    }
    return "";
  };
  // Every request's audit entry and every trace's tags map are kept forever: steady leaks.
  for (const char* label : {"audit-entry", "trace-tags"}) {
    const std::string r = row("map.make", label);
    ASSERT_NE(r, "") << label << " not in the table:\n" << table;
    EXPECT_EQ(r.rfind("map.make LEAK", 0), 0u) << label << " not marked LEAK:\n" << table;
  }
  // The per-request header map is garbage once the request is done.
  for (const auto& [kind, label] : {std::pair{"map.make", "control-headers"},
                                    std::pair{"map.grow", "control-first-bucket"}}) {
    const std::string r = row(kind, label);
    EXPECT_EQ(r.find("LEAK"), std::string::npos) << "control marked LEAK:\n" << table;
  }
  demo.Signal(SIGTERM);
  EXPECT_EQ(demo.Wait(10s), 0) << demo.Describe();
}

}  // namespace
}  // namespace e2e
