// What was retained before goretain came (issue 12 item 3): a target allocates and keeps memory
// at known lines, writes its own heap profile after runtime.GC() and waits, allocating nothing;
// goretain attaches afterwards and its first report shows those lines, per call site, as the
// runtime's own profile does: exactly at MemProfileRate=1, per raw sample count at the default
// rate (512 KiB). On Go 1.19 (default and stripped: the globals found from the runtime's code),
// 1.24 and 1.27 (1.27 keeps no byte counters in its profile records).
#include <map>

#include "go_versions.h"
#include "harness.h"
#include "markers.h"

namespace e2e {
namespace {

struct Figures {
  int64_t inuse_objects = 0, inuse_bytes = 0, alloc_objects = 0, alloc_bytes = 0;
};

// One preattach target and the goretain that attaches to it once it is ready.
struct PreattachRun {
  Process target;
  Process goretain;
  fs::path profile, report;
};

// Per source line of main.go: the before_attach figures summed over kinds (`samples`: the raw
// sample counts instead of the estimates).
std::map<int, Figures> Ours(const json& report, const std::string& source, bool samples) {
  std::map<int, Figures> by_line;
  for (const auto& c : report["callsites"]) {
    if (c["file"] != source || c["before_attach"].is_null()) continue;
    const json& b = c["before_attach"];
    Figures& f = by_line[c["line"].get<int>()];
    if (samples) {
      f.inuse_objects += b["samples"]["inuse_objects"].get<int64_t>();
      f.alloc_objects += b["samples"]["alloc_objects"].get<int64_t>();
    } else {
      f.inuse_objects += b["inuse_objects"].get<int64_t>();
      f.inuse_bytes += b["inuse_bytes"].get<int64_t>();
      f.alloc_objects += b["alloc_objects"].get<int64_t>();
      f.alloc_bytes += b["alloc_bytes"].get<int64_t>();
    }
  }
  return by_line;
}

std::map<int, Figures> Theirs(const json& profile, const std::string& source) {
  std::map<int, Figures> by_line;
  for (const auto& s : profile) {
    if (s["file"] != source) continue;
    Figures& f = by_line[s["line"].get<int>()];
    f.inuse_objects += s["inuse_objects"].get<int64_t>();
    f.inuse_bytes += s["inuse_bytes"].get<int64_t>();
    f.alloc_objects += s["alloc_objects"].get<int64_t>();
    f.alloc_bytes += s["alloc_bytes"].get<int64_t>();
  }
  return by_line;
}

const json* Row(const json& report, const std::string& kind, int line) {
  for (const auto& c : report["callsites"]) {
    if (c["kind"] == kind && c["line"] == line && !c["before_attach"].is_null()) return &c;
  }
  return nullptr;
}

class BeforeAttach : public E2ETest, public ::testing::WithParamInterface<std::string> {
 protected:
  // Starts the target with -rate `rate` (-1: the default), waits for its profile, then attaches.
  PreattachRun Start(const std::string& exe, int rate, const std::string& name) {
    PreattachRun r;
    r.profile = tmp_ / (name + ".profile.json");
    r.report = tmp_ / (name + ".report.json");
    r.target = Process({exe, "-rate", std::to_string(rate), "-profile", r.profile.string()});
    EXPECT_TRUE(r.target.WaitForStdout("ready", 60s)) << r.target.Describe();
    r.goretain = Goretain({"--pid", std::to_string(r.target.pid()), "--duration", "1", "--format",
                           "json", "--output", r.report.string()});
    return r;
  }
};

TEST_P(BeforeAttach, FirstReportShowsWhatTheRuntimesProfileRetains) {
  const std::string& release = GetParam();
  const std::string exe = release == "stripped" ? Target("preattach", "stripped")
                                                : ReleaseTarget("preattach", release);
  ASSERT_TRUE(Built(exe));
  // Side by side: every allocation recorded, and the default sampling.
  PreattachRun exact = Start(exe, 1, "exact");
  PreattachRun sampled = Start(exe, -1, "sampled");
  ASSERT_EQ(exact.goretain.Wait(60s), 0) << exact.goretain.Describe();
  ASSERT_EQ(sampled.goretain.Wait(60s), 0) << sampled.goretain.Describe();
  const std::string source = TargetSource("preattach").string();

  for (PreattachRun* run : {&exact, &sampled}) {
    const bool is_exact = run == &exact;
    SCOPED_TRACE(is_exact ? "MemProfileRate=1" : "MemProfileRate=512 KiB");
    json report;
    ASSERT_TRUE(OneReport(ReadFile(run->report), &report));
    ASSERT_TRUE(report["before_attach"].is_object()) << report.dump().substr(0, 2000);
    EXPECT_EQ(report["before_attach"]["mem_profile_rate"], is_exact ? 1 : 512 * 1024);
    EXPECT_EQ(report["before_attach"]["profile_reader_linked"], true);
    EXPECT_GT(report["before_attach"]["buckets"].get<int64_t>(), 4);
    const json truth = json::parse(ReadFile(run->profile));
    const auto ours = Ours(report, source, /*samples=*/!is_exact);
    const auto theirs = Theirs(truth, source);
    int64_t marker_samples = 0;
    for (const Marker& m : AllMarkers("preattach")) {
      if (ours.count(m.line)) marker_samples += ours.at(m.line).alloc_objects;
      const Figures o = ours.count(m.line) ? ours.at(m.line) : Figures{};
      const Figures t = theirs.count(m.line) ? theirs.at(m.line) : Figures{};
      EXPECT_EQ(o.inuse_objects, t.inuse_objects) << m.label << " main.go:" << m.line;
      EXPECT_EQ(o.alloc_objects, t.alloc_objects) << m.label << " main.go:" << m.line;
      if (is_exact) {
        EXPECT_EQ(o.inuse_bytes, t.inuse_bytes) << m.label << " main.go:" << m.line;
        EXPECT_EQ(o.alloc_bytes, t.alloc_bytes) << m.label << " main.go:" << m.line;
      }
    }
    // ~30 MB allocated at the marked lines: dozens of samples at 512 KiB, not an empty match.
    EXPECT_GT(marker_samples, 10);
    if (!is_exact) continue;
    // Not vacuous: the kept objects are all there, each line under its kind; the garbage is
    // allocated but no longer in use.
    const json* bufs = Row(report, "slice.make", WantLine("preattach", "slice.make", "bufs"));
    ASSERT_NE(bufs, nullptr) << DescribeCallsites(report);
    EXPECT_EQ((*bufs)["before_attach"]["inuse_objects"], 500);
    const json* items = Row(report, "other", WantLine("preattach", "other", "items"));
    ASSERT_NE(items, nullptr) << DescribeCallsites(report);
    EXPECT_EQ((*items)["before_attach"]["inuse_objects"], 20000);
    EXPECT_NE(Row(report, "map.make", WantLine("preattach", "map.make", "maps")), nullptr);
    EXPECT_NE(Row(report, "slice.grow", WantLine("preattach", "slice.grow", "ints")), nullptr);
    const json* garbage = Row(report, "slice.make", WantLine("preattach", "slice.make", "garbage"));
    ASSERT_NE(garbage, nullptr) << DescribeCallsites(report);
    EXPECT_EQ((*garbage)["before_attach"]["alloc_objects"], 2000);
    EXPECT_EQ((*garbage)["before_attach"]["inuse_objects"], 0);
    // Before-attach figures are never traced ones: the waiting target allocated nothing.
    EXPECT_EQ((*bufs)["alloc_objects"], 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Releases, BeforeAttach,
                         ::testing::Values("1.19", "stripped", "1.24", "1.27"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "stripped" ? std::string("go1_19_stripped")
                                                           : ReleaseTestName(info);
                         });

}  // namespace
}  // namespace e2e
