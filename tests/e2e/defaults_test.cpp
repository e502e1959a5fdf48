// Retention is the default: `goretain` with no mode flag reports retained bytes (and judges
// leaks); `--no-retained` is the allocation-only mode, whose report has no retained figures at
// all. Both count the same allocations. `-r/--retained` is still accepted (a no-op).
#include <map>

#include "harness.h"

namespace e2e {
namespace {

class Defaults : public E2ETest {
 protected:
  // Runs the accuracy target under goretain (-- COMMAND) with `mode` flags; its JSON report.
  json Run(const std::vector<std::string>& mode) {
    const fs::path out = tmp_ / "report.json", profile = tmp_ / "profile.json";
    std::vector<std::string> args = {"--format", "json", "--output", out.string()};
    args.insert(args.end(), mode.begin(), mode.end());
    for (const std::string& a : {std::string("--"), Target("accuracy"), std::string("-profile"),
                                 profile.string()})
      args.push_back(a);
    Process gr = Goretain(args);
    EXPECT_EQ(gr.Wait(60s), 0) << gr.Describe();
    json report;
    EXPECT_TRUE(OneReport(ReadFile(out), &report));
    return report;
  }

  // alloc_bytes per line of the accuracy target.
  static std::map<int, int64_t> BytesPerLine(const json& report) {
    std::map<int, int64_t> bytes;
    for (const auto& c : report["callsites"]) {
      if (c["file"] != TargetSource("accuracy").string()) continue;
      bytes[c["line"].get<int>()] += c["alloc_bytes"].get<int64_t>();
    }
    return bytes;
  }
};

TEST_F(Defaults, RetainedByDefaultAndNoneWithNoRetained) {
  const json retained = Run({});
  const json plain = Run({"--no-retained"});
  if (HasFailure()) return;
  const std::string source = TargetSource("accuracy").string();

  // Default: the program's GC cycles were checked and every line of the target was judged.
  EXPECT_GE(retained["liveness"]["checks"].get<int>(), 1) << retained["liveness"].dump();
  int judged = 0;
  for (const auto& c : retained["callsites"]) {
    if (c["file"] != source) continue;
    EXPECT_TRUE(c["retained_bytes"].is_number()) << "not judged by default: " << c.dump();
    EXPECT_TRUE(c["retained_objects"].is_number()) << c.dump();
    if (c["retained_bytes"].is_number()) {
      EXPECT_LE(c["retained_bytes"].get<int64_t>(), c["alloc_bytes"].get<int64_t>()) << c.dump();
      judged++;
    }
  }
  EXPECT_GE(judged, 11) << DescribeCallsites(retained, 30);

  // --no-retained: no check ran, nothing tracked, no retained figure and no leak anywhere.
  EXPECT_EQ(plain["liveness"]["checks"].get<int>(), 0) << plain["liveness"].dump();
  EXPECT_EQ(plain["liveness"]["tracked_objects"].get<int64_t>(), 0) << plain["liveness"].dump();
  ASSERT_GE(plain["callsites"].size(), 11u) << DescribeCallsites(plain, 30);
  for (const auto& c : plain["callsites"]) {
    EXPECT_TRUE(c["retained_objects"].is_null()) << c.dump();
    EXPECT_TRUE(c["retained_bytes"].is_null()) << c.dump();
    EXPECT_TRUE(c["retained_growth_bytes_per_s"].is_null()) << c.dump();
    EXPECT_EQ(c["leaking"], false) << c.dump();
  }

  // Both modes see allocations at the same lines of the target (the bytes of map growth vary
  // from run to run with the hash seed; Accuracy.* checks each mode's bytes against the
  // program's own profile), and the same bytes at the lines whose sizes do not depend on it.
  const auto a = BytesPerLine(retained), b = BytesPerLine(plain);
  EXPECT_GE(a.size(), 11u);
  std::vector<int> lines_a, lines_b;
  for (const auto& [line, bytes] : a) lines_a.push_back(line);
  for (const auto& [line, bytes] : b) lines_b.push_back(line);
  EXPECT_EQ(lines_a, lines_b) << "the modes saw allocations at different lines";
  for (const char* label : {"ints", "items", "bytes"}) {
    const int line = WantLine("accuracy", "slice.grow", label);
    EXPECT_GT(a.count(line) ? a.at(line) : 0, 0) << label;
    EXPECT_EQ(a.count(line) ? a.at(line) : -1, b.count(line) ? b.at(line) : -2) << label;
  }
}

TEST_F(Defaults, RetainedAndNoRetainedTogetherIsBadUsage) {
  Process gr = Goretain({"--retained", "--no-retained", "--pid", "1"});
  EXPECT_EQ(gr.Wait(), 2) << gr.Describe();
  EXPECT_TRUE(IsOneErrorLine(gr.Stderr()));
  EXPECT_EQ(gr.Stdout(), "");
}

}  // namespace
}  // namespace e2e
