// --pod NAMESPACE/NAME on a real container: a runc bundle written as a kubelet + containerd node
// would (cgroupfs-driver cgroupsPath /kubepods/besteffort/pod<uid>/<id> under a test-unique
// parent, containerd's CRI annotations, no rlimits: this machine kind lacks CAP_SYS_RESOURCE),
// run with runc's default state root, a Go target (tests/targets/counts) as the container's
// process. goretain finds the pod by name through runc's state.json, reports the container's
// labels and the target's PID inside its PID namespace (1), and its exact counts.
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "harness.h"
#include "kube_cgroup.h"
#include "pod_trace_checks.h"

namespace e2e {
namespace {

bool HaveRunc() { return access("/usr/sbin/runc", X_OK) == 0 || access("/usr/bin/runc", X_OK) == 0; }

// A runc container, force-deleted on destruction.
class RuncContainer {
 public:
  explicit RuncContainer(std::string id) : id_(std::move(id)) {}
  ~RuncContainer() {
    if (started_) RunToEnd({"runc", "delete", "--force", id_}, 10s);
  }
  ::testing::AssertionResult Run(const fs::path& bundle) {
    Process p = RunToEnd({"runc", "run", "--detach", "--bundle", bundle.string(), id_}, 20s);
    started_ = true;
    if (p.exit_code() != 0) return ::testing::AssertionFailure() << p.Describe();
    Process st = RunToEnd({"runc", "state", id_}, 10s);
    pid_ = json::parse(st.Stdout(), nullptr, false).value("pid", 0);
    if (pid_ <= 0) return ::testing::AssertionFailure() << st.Describe();
    return ::testing::AssertionSuccess();
  }
  pid_t pid() const { return pid_; }

 private:
  std::string id_;
  bool started_ = false;
  pid_t pid_ = 0;
};

// The bundle: `runc spec`'s defaults, with the counts target as the process, the gate directory
// bound at /gate, the kubelet-like cgroup path and containerd's annotations.
void WriteBundle(const fs::path& bundle, const fs::path& gate_dir, const std::string& cgroups_path,
                 const json& annotations) {
  fs::create_directories(bundle / "rootfs");
  fs::copy_file(Target("counts"), bundle / "rootfs" / "counts");
  Process spec = RunToEnd({"runc", "spec", "--bundle", bundle.string()}, 10s);
  ASSERT_EQ(spec.exit_code(), 0) << spec.Describe();
  json c = json::parse(ReadFile(bundle / "config.json"));
  c["process"]["args"] = {"/counts", "-wait", "/gate/open", "-hint", "210", "-small", "0",
                          "-append", "0"};
  c["process"]["terminal"] = false;
  c["process"].erase("rlimits");
  c["root"]["readonly"] = true;
  c["linux"]["cgroupsPath"] = cgroups_path;
  c["annotations"] = annotations;
  c["mounts"].push_back({{"destination", "/gate"}, {"type", "bind"},
                         {"source", gate_dir.string()}, {"options", {"rbind", "rw"}}});
  std::ofstream(bundle / "config.json") << c.dump(1);
}

class RuncPod : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    if (!HaveRunc()) GTEST_SKIP() << "runc is not installed (scripts/install-deps.sh installs it)";
    if (Cgroup2Mount().empty()) GTEST_SKIP() << "no cgroup v2 mount on this host";
  }
  KubeCgroups cgroups_;  // declared first: removed after the container is deleted
};

TEST_F(RuncPod, PodByNameFindsTheContainerWithItsLabels) {
  const std::string uid = RandomPodUid(), cid = RandomContainerId();
  const std::string pod = "web-" + cid.substr(0, 8);
  const fs::path gate_dir = tmp_ / "gate";
  fs::create_directories(gate_dir);
  const std::string cgroups_path = cgroups_.parent() + "/kubepods/besteffort/pod" + uid + "/" + cid;
  const json annotations = {{"io.kubernetes.cri.container-type", "container"},
                            {"io.kubernetes.cri.container-name", "app"},
                            {"io.kubernetes.cri.sandbox-name", pod},
                            {"io.kubernetes.cri.sandbox-namespace", "goretain-e2e"},
                            {"io.kubernetes.cri.sandbox-uid", uid}};
  ASSERT_NO_FATAL_FAILURE(WriteBundle(tmp_ / "bundle", gate_dir, cgroups_path, annotations));
  RuncContainer ctr("goretain-e2e-" + cid.substr(0, 12));
  ASSERT_TRUE(ctr.Run(tmp_ / "bundle"));

  Process gr = Goretain({"-v", "--format", "json", "--pod", "goretain-e2e/" + pod});
  ASSERT_TRUE(Attached(gr, 60s));
  const json want = {{"container_id", cid}, {"pod", pod}, {"namespace", "goretain-e2e"},
                     {"container", "app"}, {"runtime", "containerd"}, {"pod_uid", uid}};
  ExpectCountsContainerTraced(gr, pod, cid, ctr.pid(), gate_dir / "open", want);
}

}  // namespace
}  // namespace e2e
