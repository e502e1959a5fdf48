// The agent's container image under a real container runtime (issue 13 item 6): build the image
// with scripts/build-image.sh, unpack its rootfs from the OCI layout, and run `goretain agent`
// from it under runc with the DaemonSet's settings (host PID namespace, the capabilities it
// lists, the host's /sys read-only), against a Go program in a second runc container whose
// bundle looks like a kubelet + containerd one (kubelet cgroupfs path, CRI annotations). The
// agent selects the pod's cgroup, finds the container's process, follows a second one started
// later with `runc exec`, and reports both programs' allocations exactly.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"
#include "tests/support/runc_bundle.h"

namespace e2e {
namespace {

namespace ts = goretain::test_support;

bool HaveRunc() { return RunToEnd({"runc", "--version"}, 10s).exit_code() == 0; }

// The DaemonSet's capabilities (deploy/daemonset.yaml), less any this machine's bounding set
// lacks (CAP_SYS_RESOURCE here): runc cannot grant what it does not have.
std::vector<std::string> DaemonSetCapabilities() {
  std::ifstream status("/proc/self/status");
  uint64_t bounding = ~0ull;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapBnd:", 0) == 0) bounding = std::stoull(line.substr(7), nullptr, 16);
  }
  const std::vector<std::pair<std::string, int>> caps = {
      {"CAP_BPF", 39}, {"CAP_PERFMON", 38}, {"CAP_SYS_PTRACE", 19},
      {"CAP_DAC_READ_SEARCH", 2}, {"CAP_SYS_RESOURCE", 24}};
  std::vector<std::string> out;
  for (const auto& [name, bit] : caps)
    if (bounding & (1ull << bit)) out.push_back(name);
  return out;
}

// Unpacks the image's one layer from the OCI layout tarball into `rootfs`.
void UnpackImage(const fs::path& oci_tar, const fs::path& work, const fs::path& rootfs) {
  fs::create_directories(work);
  fs::create_directories(rootfs);
  Process untar = RunToEnd({"tar", "-xf", oci_tar.string(), "-C", work.string()});
  ASSERT_EQ(untar.exit_code(), 0) << untar.Describe();
  auto blob = [&](const std::string& digest) {
    return work / "blobs" / "sha256" / digest.substr(digest.find(':') + 1);
  };
  const json index = json::parse(ReadFile(work / "index.json"));
  const json manifest = json::parse(ReadFile(blob(index["manifests"][0]["digest"])));
  const json config = json::parse(ReadFile(blob(manifest["config"]["digest"])));
  ASSERT_EQ(config["config"]["Entrypoint"][0], "/usr/bin/goretain");
  ASSERT_EQ(manifest["layers"].size(), 1u);
  Process layer = RunToEnd({"tar", "-xzf", blob(manifest["layers"][0]["digest"]).string(), "-C",
                            rootfs.string()});
  ASSERT_EQ(layer.exit_code(), 0) << layer.Describe();
}

// Polls (bounded) until `file` contains `text`.
bool FileSays(const fs::path& file, const std::string& text) {
  for (int i = 0; i < 300; i++) {
    std::error_code ec;
    if (fs::exists(file, ec) && ReadFile(file).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

class ContainerImageTest : public E2ETest {};

TEST_F(ContainerImageTest, AgentImageUnderRuncReportsAGoContainerOfThePod) {
  if (!HaveRunc()) GTEST_SKIP() << "runc is not installed (scripts/install-deps.sh installs it)";
  Process build = RunToEnd({fs::path(GORETAIN_SOURCE_DIR) / "scripts/build-image.sh",
                            GoretainBin(), (tmp_ / "image").string(), "goretain:test"}, 120s);
  ASSERT_EQ(build.exit_code(), 0) << build.Describe();
  const fs::path agent_bundle = tmp_ / "agent", target_bundle = tmp_ / "target";
  ASSERT_NO_FATAL_FAILURE(UnpackImage(tmp_ / "image/goretain-image.oci.tar", tmp_ / "oci",
                                      agent_bundle / "rootfs"));

  // The workload: a Go program in its own container of a besteffort pod.
  const std::string pod_uid = ts::RandomPodUid(), ctr_id = ts::RandomContainerId();
  ts::BundleConfig target;
  target.args = {"/counts", "-wait", "/gate", "-hint", "40", "-small", "50", "-append", "60"};
  target.cgroups_path = ts::KubeletCgroupsPath("besteffort", pod_uid, ctr_id);
  target.annotations = ts::ContainerdAnnotations("shop", "cart-7d9f", pod_uid, "cart", ctr_id);
  ts::WriteBundle(target_bundle, target);
  fs::copy_file(Target("counts"), target_bundle / "rootfs/counts");

  struct PodCgroups {  // removed after runc has deleted the containers (declared before it)
    std::string path;
    ~PodCgroups() { ts::RemoveCgroupEverywhere(path); }
  } pod_cgroups{"/kubepods/besteffort/pod" + pod_uid};
  ts::RuncRoot runc(tmp_ / "runc-state");
  const std::string target_id = "gr-test-target-" + ctr_id.substr(0, 12);
  const pid_t target_pid = runc.RunDetached(target_id, target_bundle);

  // The agent, as the DaemonSet runs it, selecting the pod's cgroup.
  ts::BundleConfig agent;
  agent.args = {"/usr/bin/goretain", "agent", "--exact", "--cgroup",
                "/kubepods/besteffort/pod" + pod_uid, "-f", "json"};
  agent.env.push_back("NODE_NAME=test-node");
  agent.host_pid = true;
  agent.capabilities = DaemonSetCapabilities();
  ts::WriteBundle(agent_bundle, agent);
  const std::string agent_id = "gr-test-agent-" + ctr_id.substr(0, 12);
  Process runc_agent(runc.RunArgv(agent_id, agent_bundle));
  ASSERT_TRUE(runc_agent.WaitForStderr("tracing pid " + std::to_string(target_pid) + " ("))
      << runc_agent.Describe();

  // A process started later in the running container (as `kubectl exec` does) is followed.
  const pid_t exec_pid = runc.ExecDetached(
      target_id, {"/counts", "-wait", "/gate-exec", "-hint", "5", "-small", "6", "-append", "7"},
      tmp_ / "exec-output.txt");
  ASSERT_TRUE(runc_agent.WaitForStderr("tracing pid " + std::to_string(exec_pid) + " ("))
      << runc_agent.Describe();

  // The exec'd process first: when a container's init exits, the kernel kills the rest of its
  // PID namespace. Each exits 0 once it has allocated.
  Touch(target_bundle / "rootfs/gate-exec");
  ASSERT_TRUE(FileSays(tmp_ / "exec-output.txt", "counts: done"));
  Touch(target_bundle / "rootfs/gate");
  ASSERT_TRUE(FileSays(target_bundle / "stdout.txt", "counts: done"));
  ASSERT_TRUE(runc.Kill(agent_id, "TERM"));
  ASSERT_EQ(runc_agent.Wait(), 0) << runc_agent.Describe();

  json report;
  ASSERT_TRUE(OneReport(runc_agent.Stdout(), &report));
  ASSERT_EQ(report["targets"].size(), 2u) << report["targets"].dump();
  EXPECT_EQ(report["targets"][0]["pid"], target_pid);
  EXPECT_EQ(report["targets"][1]["pid"], exec_pid);
  EXPECT_EQ(report["targets"][0]["exe"], "/counts");  // the path inside the target's container
  // Rows are per process: each container's process has its own, with its exact counts.
  auto objects = [&](const std::string& kind, const std::string& label, int64_t pid) {
    const std::string function = WantFunction("counts", kind, label);
    const int line = WantLine("counts", kind, label);
    for (const json& c : report["callsites"]) {
      if (c.value("kind", "") == kind && c.value("function", "") == function &&
          c.value("line", 0) == line && c.value("pid", int64_t{0}) == pid) {
        return c["alloc_objects"].get<int64_t>();
      }
    }
    return int64_t{-1};
  };
  EXPECT_EQ(objects("map.make", "hint", target_pid), 40) << DescribeCallsites(report);
  EXPECT_EQ(objects("map.make", "hint", exec_pid), 5) << DescribeCallsites(report);
  EXPECT_EQ(objects("slice.grow", "once", target_pid), 60) << DescribeCallsites(report);
  EXPECT_EQ(objects("slice.grow", "once", exec_pid), 7)
      << DescribeCallsites(report) << runc_agent.Stderr() << report["events"].dump();
  EXPECT_FALSE(report["targets"][0]["labels"].empty()) << report["targets"][0].dump();  // cgroup
}

}  // namespace
}  // namespace e2e
