// goretain agent's lifecycle (issue 13 item 5): SIGKILL while tracing leaves no BPF program,
// link or uprobe behind (every one is an fd of the agent, never pinned: the kernel releases
// them and restores the probed instructions), and the traced program keeps running and exits
// normally. (SIGTERM's clean stop and final report: follow_exec_test.cpp.)
#include <signal.h>

#include <unistd.h>

#include <iostream>
#include <set>
#include <thread>

#include "harness.h"
#include "tests/support/test_cgroup.h"

namespace e2e {
namespace {

using goretain::test_support::TestCgroup;

class AgentTest : public E2ETest {};

TEST_F(AgentTest, SigkillLeavesNoProbeAttachedAndTheTargetRunsOn) {
  TestCgroup cgroup("agent-kill");
  Process agent = Goretain({"agent", "--exact", "--cgroup", cgroup.path()});  // leakydemo: no sampler
  ASSERT_TRUE(agent.WaitForStderr("new ones attached as they start")) << agent.Describe();

  Process target(cgroup.Wrap({Target("leakydemo"), "-duration", "4s", "-rate", "300"}));
  ASSERT_TRUE(agent.WaitForStderr("tracing pid " + std::to_string(target.pid()) + " ("))
      << agent.Describe();
  ASSERT_TRUE(target.WaitForStderr("serving")) << target.Describe();
  // The exec watcher's link and the probes' (one uprobe_multi link, or one per probe) are the
  // agent's while it runs: the check below would otherwise prove nothing.
  size_t agent_links = 0;
  for (const BpfObject& link : GoretainBpfObjects().links) {
    for (pid_t owner : link.owners) agent_links += owner == agent.pid();
  }
  EXPECT_GE(agent_links, 2u) << "the agent's links were not seen while it ran";
  std::this_thread::sleep_for(300ms);  // probes firing

  agent.Signal(SIGKILL);
  ASSERT_EQ(agent.Wait(), 128 + SIGKILL);
  EXPECT_EQ(LeftoverBpf(bpf_before_), "") << "BPF objects left after SIGKILL";

  ASSERT_EQ(target.Wait(), 0) << target.Describe();
  EXPECT_NE(target.Stderr().find("leakydemo: done after"), std::string::npos) << target.Describe();
}

}  // namespace
}  // namespace e2e
