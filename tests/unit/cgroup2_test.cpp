// The process follower's view of cgroup v2 (userspace/process/cgroup2): the processes of a
// selected cgroup and of every cgroup below it, read from cgroup.procs files (here a directory
// tree shaped like a kubelet pod, written by the test: the reader only reads files).
#include "userspace/process/cgroup2.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace goretain {
namespace {

namespace fs = std::filesystem;

TEST(Cgroup2Procs, ASelectedCgroupHoldsItsOwnAndItsDescendantsProcessesOnly) {
  const fs::path mount = fs::temp_directory_path() / ("gr-cgroup2-test-" + std::to_string(getpid()));
  const std::string pod = "/kubepods/burstable/pod4a163a05-439d-484b-8e53-2968bc15824f";
  fs::create_directories(mount.string() + pod + "/40c03570/container");  // crun's subgroup
  fs::create_directories(mount.string() + pod + "0/7f00");                // a prefix sibling
  std::ofstream(mount.string() + pod + "/cgroup.procs") << "";
  std::ofstream(mount.string() + pod + "/40c03570/cgroup.procs") << "101\n102\n";
  std::ofstream(mount.string() + pod + "/40c03570/container/cgroup.procs") << "103\n";
  std::ofstream(mount.string() + pod + "0/7f00/cgroup.procs") << "999\n";

  std::vector<pid_t> pids = Cgroup2Procs(mount.string(), pod);
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(pids, (std::vector<pid_t>{101, 102, 103}));
  EXPECT_EQ(Cgroup2Procs(mount.string(), pod + "/40c03570/container/"), std::vector<pid_t>{103});
  EXPECT_TRUE(Cgroup2Procs(mount.string(), "/no/such/cgroup").empty());
  fs::remove_all(mount);
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
