// accuracy: goretain's bytes and heap objects per call site against the target's own exact heap
// profile (runtime.MemProfileRate = 1, tests/targets/internal/groundtruth), for every map and slice
// allocation path the target exercises (tests/targets/accuracy/main.go).
#include <fstream>
#include <map>
#include <regex>

#include "harness.h"
#include "markers.h"

namespace e2e {
namespace {

struct Totals {
  int64_t objects = 0;
  int64_t bytes = 0;
};

// Every `// want:` line of the target's source.
std::vector<int> WantLines(const std::string& target) {
  std::vector<int> lines;
  for (const Marker& m : AllMarkers(target)) lines.push_back(m.line);
  return lines;
}

// (build variant, --retained): with --retained, makemap's and hashGrow's objects come from
// other probes (one per object, for their addresses); the figures must not change.
class Accuracy : public E2ETest,
                 public ::testing::WithParamInterface<std::tuple<std::string, bool>> {};

TEST_P(Accuracy, BytesAndObjectsEqualTheRuntimesOwnProfile) {
  const auto& [variant, retained] = GetParam();
  const std::string exe = Target("accuracy", variant);
  const fs::path out = tmp_ / "report.json", profile = tmp_ / "profile.json";
  std::vector<std::string> args = {"--format", "json", "--output", out.string()};
  args.push_back(retained ? "--retained" : "--no-retained");  // retention is the default
  for (const std::string& a : {std::string("--"), exe, std::string("-profile"), profile.string()}) {
    args.push_back(a);
  }
  Process gr = Goretain(args);
  ASSERT_EQ(gr.Wait(60s), 0) << gr.Describe();
  json report, truth;
  ASSERT_TRUE(OneReport(ReadFile(out), &report));
  truth = json::parse(ReadFile(profile));
  EXPECT_EQ(report["events"]["dropped"], 0);

  // Per source line of the target: all kinds summed (one line may both make a map and append).
  const std::string source = TargetSource("accuracy").string();
  std::map<int, Totals> ours, runtime;
  for (const auto& c : report["callsites"]) {
    if (c["file"] != source) continue;
    ours[c["line"].get<int>()].objects += c["heap_objects"].get<int64_t>();
    ours[c["line"].get<int>()].bytes += c["alloc_bytes"].get<int64_t>();
  }
  for (const auto& s : truth) {
    if (s["file"] != source) continue;
    runtime[s["line"].get<int>()].objects += s["alloc_objects"].get<int64_t>();
    runtime[s["line"].get<int>()].bytes += s["alloc_bytes"].get<int64_t>();
  }
  const std::vector<int> lines = WantLines("accuracy");
  ASSERT_GE(lines.size(), 11u);
  for (int line : lines) {
    if (runtime[line].objects == 0) continue;  // e.g. `make([]byte, 0, 16)` stays on the stack
    EXPECT_EQ(ours[line].objects, runtime[line].objects) << "heap objects at main.go:" << line;
    EXPECT_EQ(ours[line].bytes, runtime[line].bytes) << "bytes at main.go:" << line << "\n"
                                                     << DescribeCallsites(report, 30);
  }
  // Every map and append line really allocated: the comparison above is not vacuous.
  for (const char* label : {"hinted", "intmap", "strmap", "bigmap"}) {
    EXPECT_GT(runtime[WantLine("accuracy", "map.make", label)].objects, 0) << label;
  }
  for (const char* label : {"intmap", "strmap", "bigmap"}) {
    EXPECT_GT(runtime[WantLine("accuracy", "map.grow", label)].bytes, 100000) << label;
  }
  for (const char* label : {"ints", "items", "bytes"}) {
    EXPECT_GT(runtime[WantLine("accuracy", "slice.grow", label)].bytes, 1000000) << label;
  }
  // --retained with -- COMMAND: the heap reader starts before the Go runtime does, and still
  // judges every line after the program's GC cycles.
  if (retained) {
    EXPECT_GE(report["liveness"]["checks"].get<int>(), 1);
    for (const auto& c : report["callsites"]) {
      if (c["file"] != source) continue;
      EXPECT_FALSE(c["retained_bytes"].is_null()) << "not judged: line " << c["line"];
      if (!c["retained_bytes"].is_null()) {
        EXPECT_LE(c["retained_bytes"].get<int64_t>(), c["alloc_bytes"].get<int64_t>());
      }
    }
  }

  // Calls, kinds and types as the user wrote them.
  const json* hinted = FindCallsite(report, "map.make", "main.makeHinted",
                                    WantLine("accuracy", "map.make", "hinted"));
  ASSERT_NE(hinted, nullptr) << DescribeCallsites(report, 30);
  EXPECT_EQ((*hinted)["alloc_objects"], 500);
  EXPECT_TRUE((*hinted)["assigns"].is_null()) << "assigns are only counted with --assigns";
  EXPECT_EQ((*hinted)["type"], "map[int]int");
  const json* strmap = FindCallsite(report, "map.grow", "main.growStringMap",
                                    WantLine("accuracy", "map.grow", "strmap"));
  ASSERT_NE(strmap, nullptr) << DescribeCallsites(report, 30);
  EXPECT_EQ((*strmap)["type"], "map[string]int");
  const json* big = FindCallsite(report, "map.grow", "main.growBigValueMap",
                                 WantLine("accuracy", "map.grow", "bigmap"));
  ASSERT_NE(big, nullptr);
  EXPECT_EQ((*big)["type"], "map[int]main.big");
  const json* items = FindCallsite(report, "slice.grow", "main.appendItems",
                                   WantLine("accuracy", "slice.grow", "items"));
  ASSERT_NE(items, nullptr);
  EXPECT_EQ((*items)["type"], "[]main.item");
}

INSTANTIATE_TEST_SUITE_P(Variants, Accuracy,
                         ::testing::Combine(::testing::Values("default", "pie", "noopt"),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::get<0>(info.param) +
                                  (std::get<1>(info.param) ? "_retained" : "");
                         });

}  // namespace
}  // namespace e2e

namespace e2e {
namespace {

// --assigns: every map insert counted at its line, and the allocation figures unchanged.
class Assigns : public E2ETest {};

TEST_F(Assigns, EveryInsertIsCountedAtItsLine) {
  const fs::path out = tmp_ / "report.json", profile = tmp_ / "profile.json";
  Process gr = Goretain({"--assigns", "--format", "json", "--output", out.string(), "--",
                         Target("accuracy"), "-profile", profile.string()});
  ASSERT_EQ(gr.Wait(120s), 0) << gr.Describe();
  json report;
  ASSERT_TRUE(OneReport(ReadFile(out), &report));
  EXPECT_EQ(report["events"]["dropped"], 0);
  // accuracy's main: 20 rounds of growIntMap(1000 + r*397), growStringMap(20000),
  // growBigValueMap(300).
  int64_t int_inserts = 0;
  for (int r = 0; r < 20; r++) int_inserts += 1000 + r * 397;
  const struct {
    const char* label;
    const char* function;
    int64_t inserts;
  } sites[] = {{"intmap", "main.growIntMap", int_inserts},
               {"strmap", "main.growStringMap", 20 * 20000},
               {"bigmap", "main.growBigValueMap", 20 * 300}};
  for (const auto& s : sites) {
    const json* row = FindCallsite(report, "map.grow", s.function,
                                   WantLine("accuracy", "map.grow", s.label));
    ASSERT_NE(row, nullptr) << s.label << "\n" << DescribeCallsites(report, 30);
    EXPECT_EQ((*row)["assigns"], s.inserts) << s.label;
    EXPECT_GT((*row)["alloc_bytes"].get<int64_t>(), 0) << s.label;
  }
  // With --assigns a line without inserts counts 0 (without it, the field is null: Accuracy).
  const json* make = FindCallsite(report, "map.make", "main.makeHinted",
                                  WantLine("accuracy", "map.make", "hinted"));
  ASSERT_NE(make, nullptr);
  EXPECT_EQ((*make)["assigns"], 0);
}

}  // namespace
}  // namespace e2e
