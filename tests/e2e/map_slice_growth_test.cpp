// growth: maps and slices that grow while being filled (tests/targets/growth/main.go). The target
// reports the one random quantity itself: how many overflow buckets the 9th inserts needed.
#include <regex>

#include "harness.h"

namespace e2e {
namespace {

class Growth : public E2ETest, public ::testing::WithParamInterface<std::string> {};

TEST_P(Growth, MapAndSliceGrowthExact) {
  constexpr int64_t kMaps = 1000;
  const std::string exe = Target("growth", GetParam());
  Traced t;
  json report;
  ASSERT_TRUE(TraceToEnd({exe, "-maps", std::to_string(kMaps), "-appends", "100000"}, {}, &t,
                         &report));

  std::smatch m;
  const std::string out = t.target.Stdout();
  ASSERT_TRUE(std::regex_search(
      out, m, std::regex(R"(growth: maps=(\d+) overflow=(\d+) slice_grows=(\d+) slice_bytes=(\d+))")))
      << out;
  ASSERT_EQ(std::stoll(m[1]), kMaps);
  const int64_t overflow = std::stoll(m[2]);
  // go1.19, 100000 appends of int64 to a nil slice: caps 1, 2, 4, ... 512, 848, ... (28 grows).
  ASSERT_EQ(std::stoll(m[3]), 28);
  ASSERT_EQ(std::stoll(m[4]), 4101368);

  ExpectReportHeader(report, t.target.pid(), exe, 3 * kMaps + 28);
  const std::vector<std::string> map_type = {"map[string]*int"};
  // makemap_small: hmap 48 B.
  ExpectSite(report, "growth", {"map.make", "grow-map", "main.newMap", kMaps, 48 * kMaps, map_type});
  // The first insert allocates the first bucket: 8 + 8*16 + 8*8 + 8 = 208 B (a size class).
  ExpectSite(report, "growth",
             {"map.grow", "first-bucket", "main.fillEight", kMaps, 208 * kMaps, map_type});
  // The 9th insert: hashGrow allocates 2 buckets (416 B, a size class), plus, rarely, one
  // overflow bucket (208 B).
  ExpectSite(report, "growth",
             {"map.grow", "hash-grow", "main.addNinth", kMaps + overflow,
              416 * kMaps + 208 * overflow, map_type});
  ExpectSite(report, "growth",
             {"slice.grow", "grow-loop", "main.growSlice", 28, 4101368, {"[]int64"}});
}

INSTANTIATE_TEST_SUITE_P(Variants, Growth, ::testing::Values("default", "stripped"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace e2e
