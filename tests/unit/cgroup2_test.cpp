// The process follower's cgroup matching (userspace/process/cgroup2): a selected cgroup covers
// itself and what is below it, never a sibling that shares a prefix.
#include "userspace/process/cgroup2.h"

#include <gtest/gtest.h>

namespace goretain {
namespace {

TEST(CgroupWithin, ASelectedCgroupCoversItselfAndItsDescendantsOnly) {
  const std::string pod = "/kubepods/burstable/pod4a163a05-439d-484b-8e53-2968bc15824f";
  EXPECT_TRUE(CgroupWithin(pod, pod));
  EXPECT_TRUE(CgroupWithin(pod + "/40c03570", pod));
  EXPECT_TRUE(CgroupWithin(pod + "/40c03570/container", pod));  // crun's subgroup
  EXPECT_FALSE(CgroupWithin(pod + "0/40c03570", pod));          // a sibling sharing a prefix
  EXPECT_FALSE(CgroupWithin("/kubepods/burstable", pod));       // the parent
  EXPECT_TRUE(CgroupWithin(pod, "/"));                          // the root covers everything
  EXPECT_TRUE(CgroupWithin(pod + "/", pod.substr(1)));           // slashes do not matter
}

TEST(Cgroup2Id, RefusesPathsThatClimbOutAndNamesMissingOnes) {
  auto up = Cgroup2Id("/sys/fs/cgroup", "/a/../../etc");
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, ErrorCode::kBadInput);
  auto missing = Cgroup2Id("/nonexistent-mount", "/a");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent-mount/a"), std::string::npos);
}

}  // namespace
}  // namespace goretain
