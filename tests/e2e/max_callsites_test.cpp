// --max-callsites (issue 12 item 5): beyond the cap, new call sites are folded into one "(other)"
// row per kind and counted; nothing is lost: every kind's allocations, summed over its rows,
// equal those of an uncapped trace of the same deterministic program (within 2: the standard
// library's sync.Pool allocates once or not at all, depending on which P runs it). In sampled
// mode the same cap folds sites the same way, and every folded sample is in an "(other)" row.
#include <map>

#include "harness.h"

namespace e2e {
namespace {

std::map<std::string, int64_t> ObjectsPerKind(const json& report) {
  std::map<std::string, int64_t> per_kind;
  for (const auto& c : report["callsites"]) {
    per_kind[c["kind"].get<std::string>()] += c["alloc_objects"].get<int64_t>();
  }
  return per_kind;
}

TEST_F(E2ETest, MaxCallsitesFoldsTheRestAndCountsThem) {
  const std::string exe = Target("counts");
  Traced full, capped;
  json all, folded;
  ASSERT_TRUE(TraceToEnd({exe}, {}, &full, &all));
  ASSERT_TRUE(TraceToEnd({exe}, {"--max-callsites", "2"}, &capped, &folded));
  EXPECT_EQ(all["folded"]["callsites"], 0);
  ASSERT_GE(all["callsites"].size(), 4u);  // else the cap below folds nothing
  int64_t own = 0, other = 0;
  for (const auto& c : folded["callsites"]) {
    if (c["function"] == "(other)") {
      other++;
      EXPECT_EQ(c["line"], 0);
    } else {
      own++;
    }
  }
  EXPECT_LE(own, 2);
  EXPECT_GE(other, 1);
  EXPECT_GE(folded["folded"]["callsites"].get<int64_t>(),
            static_cast<int64_t>(all["callsites"].size()) - 2);
  EXPECT_GT(folded["folded"]["allocations"].get<int64_t>(), 0);
  auto with_cap = ObjectsPerKind(folded), without = ObjectsPerKind(all);
  EXPECT_GE(without["map.make"], 3000);  // the counts program's own figures are in both
  for (const auto& [kind, objects] : without) {
    EXPECT_NEAR(with_cap[kind], objects, 2) << kind;
  }
}

TEST_F(E2ETest, MaxCallsitesFoldsSampledSitesToo) {
  Traced t;
  json report;
  ASSERT_TRUE(TraceToEnd({Target("sampled"), "-scale", "2"},
                         {"--sample", "--kinds", "all", "--max-callsites", "2"}, &t, &report, 60s));
  ASSERT_EQ(report["mode"], "sampled");
  int64_t own = 0, other_samples = 0;
  for (const auto& c : report["callsites"]) {
    // (A line known only from the profile read at attach is a row with no traced samples.)
    const int64_t samples =
        c["samples"].is_object() ? c["samples"]["alloc_objects"].get<int64_t>() : 0;
    if (c["function"] == "(other)") {
      EXPECT_EQ(c["line"], 0);
      other_samples += samples;
    } else if (samples > 0) {
      own++;
    }
  }
  EXPECT_LE(own, 2) << DescribeCallsites(report, 20);
  EXPECT_GE(report["folded"]["callsites"].get<int64_t>(), 1);
  // --kinds all shows every kind's "(other)": exactly the samples the cap folded.
  EXPECT_GT(other_samples, 100) << DescribeCallsites(report, 20);
  EXPECT_EQ(report["folded"]["allocations"].get<int64_t>(), other_samples);
}

}  // namespace
}  // namespace e2e
