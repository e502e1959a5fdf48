// Container and pod selectors on a real kernel, offline: kubelet-shaped cgroups made under the
// cgroup v2 mount (kube_cgroup.h), Go targets (tests/targets/counts) moved in through
// cgroup.procs. --pod-uid, --cgroup and --container select them, the report's labels come from
// the cgroup path, two processes of one executable share one set of probes and get rows of their
// own, and selectors that match nothing exit 2 with one error line.
#include <signal.h>

#include <algorithm>
#include <thread>
#include <tuple>

#include "harness.h"
#include "kube_cgroup.h"

namespace e2e {
namespace {

class Containers : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    if (Cgroup2Mount().empty()) GTEST_SKIP() << "no cgroup v2 mount on this host";
  }

  // A gated counts target (`hint` make(map, 100) and `small` make(map) calls) moved into the
  // cgroup `rel`.
  Process StartIn(const std::string& rel, const fs::path& gate, int hint, int small = 0) {
    Process p({Target("counts"), "-wait", gate.string(), "-hint", std::to_string(hint), "-small",
               std::to_string(small), "-append", "0"});
    std::string error;
    EXPECT_TRUE(cgroups_.Move(p.pid(), rel, &error)) << error;
    return p;
  }

  // Waits for every goretain's probes, opens the gate, then each target must end, each tracer
  // (which follows the selection: it runs until a signal) stop cleanly on SIGTERM and its
  // stdout be one JSON report.
  void RunToReports(std::vector<Process>& tracers, std::vector<Process*> targets,
                    const fs::path& gate, std::vector<json>* reports) {
    for (Process& g : tracers) ASSERT_TRUE(Attached(g, 60s));
    Touch(gate);
    for (Process* t : targets) ASSERT_EQ(t->Wait(), 0) << t->Describe();
    for (Process& g : tracers) {
      g.Signal(SIGTERM);
      ASSERT_EQ(g.Wait(), 0) << g.Describe();
      json r;
      ASSERT_TRUE(OneReport(g.Stdout(), &r)) << g.Describe();
      reports->push_back(std::move(r));
    }
  }

  // The report's row for counts' `// want: map.make LABEL` line of process `pid`.
  static const json* HintRow(const json& report, pid_t pid, const std::string& label = "hint") {
    const int line = WantLine("counts", "map.make", label);
    for (const json& c : report["callsites"]) {
      if (c["line"] == line && c["kind"] == "map.make" && c["pid"] == pid) return &c;
    }
    return nullptr;
  }

  KubeCgroups cgroups_;  // declared first: removed after the processes in it are gone
};

std::string SkippedLine(pid_t pid) {
  return "pid " + std::to_string(pid) + ": skipped: not a Go program";
}

void ExpectLabels(const json& labels, const std::string& container_id, const std::string& uid) {
  EXPECT_EQ(labels["container_id"], container_id) << labels.dump();
  EXPECT_EQ(labels["pod_uid"], uid) << labels.dump();
  EXPECT_EQ(labels["runtime"], "containerd") << labels.dump();
}

// One target in a pod's container, found three ways at once (three goretains side by side):
// by the pod's UID (given in the underscored form of the systemd driver), by the pod's cgroup
// and by a 12-digit prefix of the container ID. A non-Go process in the same container is
// skipped with a debug line. Every report has the one Go process, its exact counts, its labels.
TEST_F(Containers, PodUidCgroupAndContainerSelectTheTarget) {
  const std::string uid = RandomPodUid(), cid = RandomContainerId();
  const std::string rel = cgroups_.MakeContainer(uid, cid);
  const fs::path gate = tmp_ / "gate";
  Process target = StartIn(rel, gate, 150);
  Process sleeper({"/bin/sleep", "120"});
  std::string error;
  ASSERT_TRUE(cgroups_.Move(sleeper.pid(), rel, &error)) << error;

  std::string underscored = uid;
  std::replace(underscored.begin(), underscored.end(), '-', '_');
  const std::vector<std::vector<std::string>> selectors = {
      {"--pod-uid", underscored}, {"--cgroup", cgroups_.PodCgroup(uid)}, {"--container", cid.substr(0, 12)}};
  std::vector<Process> tracers;
  for (const auto& sel : selectors) {
    std::vector<std::string> args{"-v", "--format", "json"};
    args.insert(args.end(), sel.begin(), sel.end());
    tracers.push_back(Goretain(args));
  }
  std::vector<json> reports;
  RunToReports(tracers, {&target}, gate, &reports);
  ASSERT_EQ(reports.size(), selectors.size());
  for (size_t i = 0; i < reports.size(); i++) {
    SCOPED_TRACE(selectors[i][0]);
    const json& r = reports[i];
    ASSERT_EQ(r["targets"].size(), 1u) << r["targets"].dump();
    EXPECT_EQ(r["targets"][0]["pid"], target.pid());
    EXPECT_EQ(r["targets"][0]["ns_pid"], target.pid()) << "not in a PID namespace of its own";
    ExpectLabels(r["targets"][0]["labels"], cid, uid);
    const json* row = HintRow(r, target.pid());
    ASSERT_NE(row, nullptr) << DescribeCallsites(r);
    EXPECT_EQ((*row)["alloc_objects"], 150);
    ExpectLabels((*row)["labels"], cid, uid);
    EXPECT_NE(tracers[i].Stderr().find(SkippedLine(sleeper.pid())), std::string::npos)
        << tracers[i].Describe();
    EXPECT_NE(tracers[i].Stderr().find("[pod uid " + uid + ", containerd " + cid.substr(0, 12)),
              std::string::npos) << tracers[i].Describe();
  }
}

// Two processes of one executable, in two containers of one pod: one set of probes (the second
// process shares the first's), and each process gets its own rows with its own exact counts and
// its own container's labels. The make(map) calls without a hint are counted at their
// completion probe, whose pending event is keyed by goroutine: the two processes' goroutines
// often have the same addresses, so this also checks that one process never completes the
// other's event.
TEST_F(Containers, TwoProcessesOfOneExecutableShareOneAttach) {
  const std::string uid = RandomPodUid(), c1 = RandomContainerId(), c2 = RandomContainerId();
  const fs::path gate = tmp_ / "gate";
  Process a = StartIn(cgroups_.MakeContainer(uid, c1), gate, 120, 2200);
  Process b = StartIn(cgroups_.MakeContainer(uid, c2), gate, 340, 1500);
  std::vector<Process> tracers;
  tracers.push_back(Goretain({"--format", "json", "--pod-uid", uid}));
  std::vector<json> reports;
  RunToReports(tracers, {&a, &b}, gate, &reports);
  const std::string err = tracers[0].Stderr();
  // "tracing pid A (...): N probes attached", "tracing pid B (...): shares the N probes of pid A",
  // "2 processes, 1 executables: N probes attached".
  const pid_t first = std::min(a.pid(), b.pid()), second = std::max(a.pid(), b.pid());
  const size_t shares = err.find("shares the ");
  ASSERT_NE(shares, std::string::npos) << err;
  const int probes = std::stoi(err.substr(shares + 11));
  EXPECT_GT(probes, 10);
  EXPECT_NE(err.find("tracing pid " + std::to_string(first) + " "), std::string::npos) << err;
  EXPECT_NE(err.find(std::to_string(probes) + " probes attached"), std::string::npos) << err;
  EXPECT_NE(err.find("shares the " + std::to_string(probes) + " probes of pid " +
                     std::to_string(first)), std::string::npos) << err;
  EXPECT_NE(err.find("2 processes, 1 executables: " + std::to_string(probes) + " probes attached"),
            std::string::npos) << err;
  EXPECT_LT(err.find("tracing pid " + std::to_string(first)),
            err.find("tracing pid " + std::to_string(second))) << err;

  const json& r = reports[0];
  ASSERT_EQ(r["targets"].size(), 2u) << r["targets"].dump();
  for (const auto& [p, cid, hint, small] :
       {std::tuple{&a, c1, 120, 2200}, std::tuple{&b, c2, 340, 1500}}) {
    SCOPED_TRACE(cid);
    const json* row = HintRow(r, p->pid());
    ASSERT_NE(row, nullptr) << DescribeCallsites(r);
    EXPECT_EQ((*row)["alloc_objects"], hint);
    ExpectLabels((*row)["labels"], cid, uid);
    const json* small_row = HintRow(r, p->pid(), "small");
    ASSERT_NE(small_row, nullptr) << DescribeCallsites(r);
    EXPECT_EQ((*small_row)["alloc_objects"], small);
    ExpectLabels((*small_row)["labels"], cid, uid);
    bool found = false;
    for (const json& t : r["targets"]) {
      if (t["pid"] != p->pid()) continue;
      found = true;
      ExpectLabels(t["labels"], cid, uid);
    }
    EXPECT_TRUE(found) << r["targets"].dump();
  }
}

// A container whose process exits mid-trace: the other process is still traced, the session
// goes on when both are gone (the pod is followed: it ends with a signal), and the first one's
// rows are kept with its exact counts.
TEST_F(Containers, AProcessThatExitsEarlyKeepsItsRows) {
  const std::string uid = RandomPodUid(), c1 = RandomContainerId(), c2 = RandomContainerId();
  const fs::path early = tmp_ / "early", late = tmp_ / "late";
  Process a = StartIn(cgroups_.MakeContainer(uid, c1), early, 90, 400);
  Process b = StartIn(cgroups_.MakeContainer(uid, c2), late, 260, 300);
  Process gr = Goretain({"--format", "json", "--pod-uid", uid});
  ASSERT_TRUE(Attached(gr, 60s));
  Touch(early);
  ASSERT_EQ(a.Wait(), 0) << a.Describe();
  std::this_thread::sleep_for(500ms);  // goretain polls its targets' exits every 20 ms
  EXPECT_TRUE(gr.Running()) << "one target is left: the session goes on\n" << gr.Describe();
  Touch(late);
  ASSERT_EQ(b.Wait(), 0) << b.Describe();
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(gr.Running()) << "a followed pod: the session waits for what starts next\n"
                            << gr.Describe();
  gr.Signal(SIGTERM);
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();
  json r;
  ASSERT_TRUE(OneReport(gr.Stdout(), &r)) << gr.Describe();
  ASSERT_EQ(r["targets"].size(), 2u) << r["targets"].dump();
  for (const auto& [p, cid, hint, small] : {std::tuple{&a, c1, 90, 400}, std::tuple{&b, c2, 260, 300}}) {
    SCOPED_TRACE(cid);
    const json* row = HintRow(r, p->pid());
    ASSERT_NE(row, nullptr) << DescribeCallsites(r);
    EXPECT_EQ((*row)["alloc_objects"], hint);
    const json* small_row = HintRow(r, p->pid(), "small");
    ASSERT_NE(small_row, nullptr) << DescribeCallsites(r);
    EXPECT_EQ((*small_row)["alloc_objects"], small);
    ExpectLabels((*small_row)["labels"], cid, uid);
  }
}

// Selectors that match nothing: exit 2, one error line that names the selector, a hint; nothing
// attached. Also a selection whose only process is not Go, and malformed selectors.
TEST_F(Containers, SelectorsThatMatchNothingExitTwo) {
  const std::string uid = RandomPodUid(), cid = RandomContainerId();
  const std::string rel = cgroups_.MakeContainer(uid, cid);
  Process sleeper({"/bin/sleep", "120"});
  std::string error;
  ASSERT_TRUE(cgroups_.Move(sleeper.pid(), rel, &error)) << error;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--pod-uid", RandomPodUid()}, "no running process is in a pod with this UID"},
      {{"--container", RandomContainerId().substr(0, 20)}, "no running process is in a container"},
      {{"--pod", "goretain-e2e/no-such-pod"}, "no running process is in a pod of this namespace"},
      {{"--cgroup", cgroups_.parent() + "/no-such-cgroup"}, "no such cgroup under"},
      {{"--pod-uid", uid}, "none is a Go program"},
      {{"--container", "xyz"}, "a container ID is 12 to 64 hex digits"},
      {{"--pod", "no-slash"}, "give NAMESPACE/NAME"},
      {{"--pod-uid", "1234"}, "a pod UID is"},
  };
  for (const auto& [args, message] : cases) {
    Process gr = Goretain(args);
    ASSERT_EQ(gr.Wait(), 2) << gr.Describe();
    EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
    EXPECT_NE(gr.Stderr().find(message), std::string::npos) << gr.Describe();
    EXPECT_NE(gr.Stderr().find("hint:"), std::string::npos) << gr.Describe();
    EXPECT_EQ(gr.Stdout(), "") << gr.Describe();
  }
}

}  // namespace
}  // namespace e2e
