// The per-release table (userspace/goruntime/go_releases.h): the supported range and the rules
// followed by versions outside it.
#include "userspace/goruntime/go_releases.h"

#include <gtest/gtest.h>

namespace goretain {
namespace {

symbols::GoVersion Go(int major, int minor) {
  return symbols::GoVersion{major, minor, 0, "go" + std::to_string(major) + "." + std::to_string(minor)};
}

TEST(GoReleases, OneRowPerSupportedRelease) {
  EXPECT_EQ(kMinGoMinor, 17);
  EXPECT_EQ(kMaxGoMinor, 27);
  for (int minor = kMinGoMinor; minor <= kMaxGoMinor; minor++) {
    const GoRelease* r = FindGoRelease(Go(1, minor));
    ASSERT_NE(r, nullptr) << minor;
    EXPECT_EQ(r->minor, minor);
  }
  EXPECT_EQ(FindGoRelease(Go(1, 16)), nullptr);
  EXPECT_EQ(FindGoRelease(Go(1, 28)), nullptr);
  EXPECT_EQ(FindGoRelease(Go(0, 0)), nullptr);  // no build info
}

TEST(GoReleases, VersionsOutsideTheRangeFollowTheNearestRow) {
  EXPECT_EQ(GoReleaseRules(Go(1, 16)).minor, 17);
  EXPECT_EQ(GoReleaseRules(Go(0, 0)).minor, 17);
  EXPECT_EQ(GoReleaseRules(Go(1, 30)).minor, 27);
  EXPECT_EQ(GoReleaseRules(Go(1, 21)).minor, 21);
}

// A few columns that mark where the runtime changed (go-runtime.md).
TEST(GoReleases, ColumnsChangeAtTheirReleases) {
  EXPECT_FALSE(FindGoRelease(Go(1, 19))->growslice_120_abi);
  EXPECT_TRUE(FindGoRelease(Go(1, 20))->growslice_120_abi);
  EXPECT_FALSE(FindGoRelease(Go(1, 21))->malloc_headers);
  EXPECT_TRUE(FindGoRelease(Go(1, 22))->malloc_headers);
  EXPECT_FALSE(FindGoRelease(Go(1, 23))->swiss_maps);
  EXPECT_TRUE(FindGoRelease(Go(1, 24))->swiss_maps);
  EXPECT_EQ(FindGoRelease(Go(1, 21))->map_load_factor_num, 12);
  EXPECT_EQ(FindGoRelease(Go(1, 22))->map_load_factor_num, 13);
  EXPECT_EQ(FindGoRelease(Go(1, 25))->green_tea, GreenTea::kOptIn);
  EXPECT_EQ(FindGoRelease(Go(1, 26))->green_tea, GreenTea::kDefault);
}

}  // namespace
}  // namespace goretain
