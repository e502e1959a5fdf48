// Sampled mode's rows are per process, as exact mode's (README "Rows are per process"): two
// processes of one executable (tests/targets/leak1_maplist, heap profile of every allocation),
// each in its own container of a kubelet-shaped pod, at 1000 and 250 operations a second, traced
// with --sample by the pod's UID. Each has its own row for the leaking line, with its pid, its
// container's labels and its own figures (the faster one's about four times the other's). The
// sampler's rows once merged every process's line into one row without a pid: the agent's
// /metrics then had no container labels on its call-site series.
#include <signal.h>

#include <thread>

#include "harness.h"
#include "kube_cgroup.h"
#include "markers.h"

namespace e2e {
namespace {

class SampledRows : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    if (Cgroup2Mount().empty()) GTEST_SKIP() << "no cgroup v2 mount on this host";
  }
  KubeCgroups cgroups_;  // declared first: removed after the processes in it are gone
};

TEST_F(SampledRows, TwoProcessesOfOneExecutableHaveTheirOwnRows) {
  const std::string uid = RandomPodUid();
  const std::string ids[2] = {RandomContainerId(), RandomContainerId()};
  const int rates[2] = {1000, 250};
  const fs::path gate = tmp_ / "gate";
  std::vector<Process> programs;
  for (int i = 0; i < 2; i++) {  // exec'd inside its container's cgroup
    const std::string procs = Cgroup2Mount() + cgroups_.MakeContainer(uid, ids[i]) + "/cgroup.procs";
    programs.emplace_back(std::vector<std::string>{
        "/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", procs, Target("leak1_maplist"),
        "-wait", gate.string(), "-rate", std::to_string(rates[i])});
  }
  std::this_thread::sleep_for(500ms);  // both have exec'd
  Process gr = Goretain({"--sample", "--pod-uid", uid, "--duration", "4", "-f", "json"});
  ASSERT_TRUE(Attached(gr, 60s));
  Touch(gate);
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();
  json r;
  ASSERT_TRUE(OneReport(gr.Stdout(), &r));
  ASSERT_EQ(r["mode"], "sampled");
  ASSERT_EQ(r["targets"].size(), 2u) << r["targets"].dump();

  const Marker m = FindMarker("leak1_maplist", "map.make", "leak");
  int64_t objects[2] = {-1, -1};
  for (int i = 0; i < 2; i++) {
    SCOPED_TRACE(ids[i]);
    int rows = 0;
    for (const json& c : r["callsites"]) {
      if (c["kind"] != m.kind || c["function"] != m.function || c["line"] != m.line) continue;
      if (c["pid"] != programs[i].pid()) continue;
      rows++;
      objects[i] = c["alloc_objects"].get<int64_t>();
      EXPECT_EQ(c["labels"]["container_id"], ids[i]);
      EXPECT_EQ(c["labels"]["pod_uid"], uid);
    }
    EXPECT_EQ(rows, 1) << DescribeCallsites(r);
  }
  printf("map.make leak line %d: %lld objects at 1000 op/s, %lld at 250 op/s\n", m.line,
         static_cast<long long>(objects[0]), static_cast<long long>(objects[1]));
  EXPECT_GT(objects[1], 0);
  EXPECT_GT(objects[0], 2 * objects[1]) << "each process's own figures";
  for (Process& p : programs) p.Signal(SIGTERM);
}

}  // namespace
}  // namespace e2e
