// The cgroup path parser (userspace/targets/cgroup_path.h) on real /proc/PID/cgroup lines of every
// format peers' fixtures show (shared/reference/containers.md §1.2: OBI, Tetragon, coroot). The
// IDs those fixtures elide ("40c03570...78a9") are filled to their full 64 hex digits here.
#include <gtest/gtest.h>

#include <string>

#include "userspace/targets/cgroup_path.h"

namespace goretain::targets {
namespace {

// A 64-hex-digit ID with the given head and tail (as the fixtures abbreviate them).
std::string Id(const std::string& head, const std::string& tail) {
  return head + std::string(64 - head.size() - tail.size(), '0') + tail;
}

const std::string kCtr = Id("40c03570", "78a9");

struct Case {
  const char* name;
  std::string line;  // a /proc/PID/cgroup line
  CgroupIdentity want;
};

CgroupIdentity Want(std::string id, std::string runtime, std::string uid, QosClass qos,
                    bool helper = false) {
  return CgroupIdentity{std::move(id), std::move(runtime), std::move(uid), qos, helper};
}

class CgroupLines : public ::testing::TestWithParam<Case> {};

TEST_P(CgroupLines, ParseTheContainerThePodAndTheQosClass) {
  const Case& c = GetParam();
  const ProcCgroup pc = ParseProcCgroup(c.line);
  EXPECT_EQ(pc.identity.container_id, c.want.container_id) << c.line;
  EXPECT_EQ(pc.identity.runtime, c.want.runtime) << c.line;
  EXPECT_EQ(pc.identity.pod_uid, c.want.pod_uid) << c.line;
  EXPECT_EQ(QosName(pc.identity.qos), std::string(QosName(c.want.qos))) << c.line;
  EXPECT_EQ(pc.identity.runtime_helper, c.want.runtime_helper) << c.line;
}

const std::string kUidA = "44c76ce5-f953-4bd3-bc89-12621681af49";
const std::string kUidB = "c55ba69a-e39f-44af-925d-c4794fd57878";

INSTANTIATE_TEST_SUITE_P(
    RealWorld, CgroupLines,
    ::testing::Values(
        // OBI: kind (kubelet in a docker container, systemd driver, besteffort)
        Case{"kind_systemd",
             "0::/docker/" + Id("8afe480d", "35d6") + "/kubelet.slice/kubelet-kubepods.slice/"
             "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod44c76ce5_f953_4bd3"
             "_bc89_12621681af49.slice/cri-containerd-" + kCtr + ".scope",
             Want(kCtr, "containerd", kUidA, QosClass::kBestEffort)},
        // OBI: seen from a private cgroup namespace
        Case{"relative_to_cgroupns", "0::/../cri-containerd-" + kCtr + ".scope",
             Want(kCtr, "containerd", "", QosClass::kNone)},
        // OBI: minikube with the cgroupfs driver, nested in a docker node
        Case{"minikube_cgroupfs",
             "0::/system.slice/docker-" + kCtr + ".scope/kubepods/burstable/pod" + kUidB + "/" +
                 Id("264c1e31", "3152"),
             Want(Id("264c1e31", "3152"), "", kUidB, QosClass::kBurstable)},
        // OBI: GKE, cgroupfs
        Case{"gke_cgroupfs",
             "0::/kubepods/burstable/pod4a163a05-439d-484b-8e53-2968bc15824f/" + kCtr,
             Want(kCtr, "", "4a163a05-439d-484b-8e53-2968bc15824f", QosClass::kBurstable)},
        // OBI: EKS, systemd
        Case{"eks_systemd",
             "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poddde1244b_5bb5_4297"
             "_b544_85f3bc0d80bf.slice/cri-containerd-" + kCtr + ".scope",
             Want(kCtr, "containerd", "dde1244b-5bb5-4297-b544-85f3bc0d80bf", QosClass::kBurstable)},
        // OBI: "Docker 27+", relative, a static pod's 32-hex hash
        Case{"docker27_relative", "0::/../../pode039200acb850c82bb901653cc38ff6e/" + kCtr,
             Want(kCtr, "", "e039200acb850c82bb901653cc38ff6e", QosClass::kNone)},
        // Tetragon: podman as root, systemd, crun's "container" subgroup
        Case{"podman_systemd_crun",
             "0::/machine.slice/libpod-" + Id("89e89703", "0659") + ".scope/container",
             Want(Id("89e89703", "0659"), "podman", "", QosClass::kNone)},
        // Tetragon: rootless podman
        Case{"podman_rootless",
             "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" +
                 Id("6fb480da", "adea") + ".scope/container",
             Want(Id("6fb480da", "adea"), "podman", "", QosClass::kNone)},
        // Tetragon: podman with the cgroupfs manager, and its conmon (not a container)
        Case{"podman_cgroupfs", "0::/libpod_parent/libpod-" + Id("01f3c60c", "f4"),
             Want(Id("01f3c60c", "f4"), "podman", "", QosClass::kNone)},
        Case{"podman_conmon", "0::/libpod_parent/conmon", Want("", "podman", "", QosClass::kNone, true)},
        // Tetragon: kind with cgroupfs
        Case{"kind_cgroupfs",
             "0::/system.slice/docker-" + Id("c1146e7c", "7c") + ".scope/kubelet/kubepods/burstable/"
             "pod09a70ae9ccc491e651e5c773579b3490/" + Id("b0e6aa50", "b655"),
             Want(Id("b0e6aa50", "b655"), "", "09a70ae9ccc491e651e5c773579b3490", QosClass::kBurstable)},
        // Tetragon: minikube with systemd, docker runtime (cri-dockerd)
        Case{"minikube_systemd_docker",
             "0::/system.slice/docker-" + Id("1b3319ed", "07") + ".scope/kubepods.slice/"
             "kubepods-besteffort.slice/kubepods-besteffort-podeb653d22_2525_47ca_9fc4_3762497ae1d2"
             ".slice/docker-" + Id("84e9ffff", "d4") + ".scope",
             Want(Id("84e9ffff", "d4"), "docker", "eb653d22-2525-47ca-9fc4-3762497ae1d2",
                  QosClass::kBestEffort)},
        // Tetragon: cgroup v1, the raw systemd "slice:prefix:id" form
        Case{"v1_raw_systemd",
             "4:pids:/podruntime.slice/containerd.service/kubepods-burstable-pod29349498_197c_4919"
             "_b13f_9a928e7d001b.slice:cri-containerd:" + Id("0ca2b3cd", "c400"),
             Want(Id("0ca2b3cd", "c400"), "containerd", "29349498-197c-4919-b13f-9a928e7d001b",
                  QosClass::kBurstable)},
        // Tetragon: CRI-O, cgroupfs
        Case{"crio_cgroupfs",
             "0::/kubepods/besteffort/pod897277d4-5e6f-4999-a976-b8340e8d075e/crio-" +
                 Id("a4d6b686", "9ef3"),
             Want(Id("a4d6b686", "9ef3"), "cri-o", "897277d4-5e6f-4999-a976-b8340e8d075e",
                  QosClass::kBestEffort)},
        // Tetragon: a GitHub Actions job, cgroup v1: a bare ID, no pod
        Case{"actions_v1", "11:pids:/actions_job/" + Id("ec5fd62b", "2fdc"),
             Want(Id("ec5fd62b", "2fdc"), "", "", QosClass::kNone)},
        // coroot: guaranteed, cgroupfs
        Case{"guaranteed_cgroupfs",
             "1:name=systemd:/kubepods/poda38c12e8-255a-11e9-8cd9-0007cb0b2cc8/" +
                 Id("32c562ed", "66f8"),
             Want(Id("32c562ed", "66f8"), "", "a38c12e8-255a-11e9-8cd9-0007cb0b2cc8",
                  QosClass::kGuaranteed)},
        // coroot: CRI-O with systemd and crun's subgroup
        Case{"crio_systemd_crun",
             "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podea19ff5d_943a_4466"
             "_a07e_a71e9e50cc62.slice/crio-" + Id("21572039", "8118") + ".scope/container",
             Want(Id("21572039", "8118"), "cri-o", "ea19ff5d-943a-4466-a07e-a71e9e50cc62",
                  QosClass::kBurstable)},
        // coroot: a static pod (32-hex UID) under systemd
        Case{"static_pod_systemd",
             "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3e61c214bc3ed9ff81e"
             "21474dd6cba17.slice/cri-containerd-" + Id("c74b0f50", "3190"),
             Want(Id("c74b0f50", "3190"), "containerd", "3e61c214bc3ed9ff81e21474dd6cba17",
                  QosClass::kBurstable)},
        // coroot: containerd's raw form under containerd.service
        Case{"raw_under_service",
             "0::/system.slice/containerd.service/kubepods-burstable-pod4ed02c0b_0df8_4d14_a30e_"
             "fd589ee4143a.slice:cri-containerd:" + Id("d4a9f919", "ce55"),
             Want(Id("d4a9f919", "ce55"), "containerd", "4ed02c0b-0df8-4d14-a30e-fd589ee4143a",
                  QosClass::kBurstable)},
        // coroot fixture 500: relative to the agent's cgroup namespace
        Case{"relative_docker", "0::/../../../../system.slice/docker-" + Id("ba7b10d1", "fee2") + ".scope",
             Want(Id("ba7b10d1", "fee2"), "docker", "", QosClass::kNone)},
        // docker with cgroupfs
        Case{"docker_cgroupfs", "0::/docker/" + kCtr, Want(kCtr, "docker", "", QosClass::kNone)},
        // guaranteed pod, systemd driver (no QoS slice)
        Case{"guaranteed_systemd",
             "0::/kubepods.slice/kubepods-pod" + std::string("0d9f4a3e_1b2c_4d5e_8f90_123456789abc") +
                 ".slice/cri-containerd-" + kCtr + ".scope",
             Want(kCtr, "containerd", "0d9f4a3e-1b2c-4d5e-8f90-123456789abc", QosClass::kGuaranteed)},
        // CRI-O's conmon beside the container scope: not a container
        Case{"crio_conmon",
             "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podea19ff5d_943a_4466"
             "_a07e_a71e9e50cc62.slice/crio-conmon-" + Id("21572039", "8118") + ".scope",
             Want("", "cri-o", "ea19ff5d-943a-4466-a07e-a71e9e50cc62", QosClass::kBurstable, true)},
        Case{"crio_conmon_system_slice", "0::/system.slice/crio-conmon-" + kCtr + ".scope",
             Want("", "cri-o", "", QosClass::kNone, true)},
        Case{"podman_conmon_systemd", "0::/machine.slice/libpod-conmon-" + kCtr + ".scope",
             Want("", "podman", "", QosClass::kNone, true)},
        // outside any container
        Case{"host_process", "0::/user.slice/user-0.slice/session-3.scope",
             Want("", "", "", QosClass::kNone)},
        Case{"lxc", "0::/lxc.payload.first", Want("", "", "", QosClass::kNone)},
        Case{"talos_kubelet", "0::/podruntime/kubelet", Want("", "", "", QosClass::kNone)},
        Case{"root", "0::/", Want("", "", "", QosClass::kNone)}),
    [](const auto& info) { return std::string(info.param.name); });

// A hybrid host (like this machine): v1 controller lines beside the "0::" line. The v2 path is
// kept for --cgroup; the identity comes from the v2 line when it names one.
TEST(ProcCgroup, HybridHostKeepsTheUnifiedPath) {
  const std::string path = "/kubepods/burstable/pod" + kUidB + "/" + kCtr;
  const std::string text = "12:pids:" + path + "\n11:memory:" + path + "\n1:name=systemd:" + path +
                           "\n0::" + path + "\n";
  const ProcCgroup pc = ParseProcCgroup(text);
  EXPECT_EQ(pc.unified_path, path);
  EXPECT_EQ(pc.identity.container_id, kCtr);
  EXPECT_EQ(pc.identity.pod_uid, kUidB);
}

// A runtime that used only the v1 hierarchies on a hybrid host: "0::/" names nothing, the first
// v1 line that does gives the identity.
TEST(ProcCgroup, V1LinesWhenTheUnifiedOneNamesNothing) {
  const std::string text = "5:memory:/docker/" + kCtr + "\n1:name=systemd:/docker/" + kCtr + "\n0::/\n";
  const ProcCgroup pc = ParseProcCgroup(text);
  EXPECT_EQ(pc.unified_path, "/");
  EXPECT_EQ(pc.identity.container_id, kCtr);
  EXPECT_EQ(pc.identity.runtime, "docker");
}

TEST(ProcCgroup, V1OnlyHostHasNoUnifiedPath) {
  const ProcCgroup pc = ParseProcCgroup("3:cpu,cpuacct:/kubepods/besteffort/pod" + kUidA + "/" + kCtr + "\n");
  EXPECT_EQ(pc.unified_path, "");
  EXPECT_EQ(pc.identity.pod_uid, kUidA);
  EXPECT_EQ(QosName(pc.identity.qos), std::string("besteffort"));
}

TEST(ProcCgroup, GarbageGivesNothing) {
  for (const char* text : {"", "\n\n", "0:", "garbage", "0::", "::::", "1:x:/pod/zz"}) {
    const ProcCgroup pc = ParseProcCgroup(text);
    EXPECT_TRUE(pc.identity.container_id.empty()) << text;
    EXPECT_TRUE(pc.identity.pod_uid.empty()) << text;
  }
}

TEST(PodCgroup, ThePrefixThatEndsWithThePod) {
  const std::string systemd = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                              "44c76ce5_f953_4bd3_bc89_12621681af49.slice";
  EXPECT_EQ(PodCgroupPath(systemd + "/cri-containerd-" + kCtr + ".scope"), systemd);
  EXPECT_EQ(PodCgroupPath(systemd + "/crio-" + kCtr + ".scope/container"), systemd);
  const std::string cgroupfs = "/system.slice/docker-" + kCtr + ".scope/kubepods/burstable/pod" + kUidB;
  EXPECT_EQ(PodCgroupPath(cgroupfs + "/" + Id("264c1e31", "3152")), cgroupfs);
  EXPECT_EQ(PodCgroupPath("/kubepods/burstable/pod" + kUidB), "/kubepods/burstable/pod" + kUidB);
  EXPECT_EQ(PodCgroupPath("/docker/" + kCtr), "");
  EXPECT_EQ(PodCgroupPath("/"), "");
  EXPECT_EQ(PodCgroupPath(""), "");
  // The raw systemd form names the pod and the container in one segment: no pod cgroup.
  EXPECT_EQ(PodCgroupPath("/system.slice/containerd.service/kubepods-burstable-pod4ed02c0b_0df8_"
                          "4d14_a30e_fd589ee4143a.slice:cri-containerd:" + kCtr), "");
}

TEST(PodUid, BothFormsAndAnyCaseGiveTheDashedForm) {
  EXPECT_EQ(NormalizePodUid("44c76ce5_f953_4bd3_bc89_12621681af49"), kUidA);
  EXPECT_EQ(NormalizePodUid("44C76CE5-F953-4BD3-BC89-12621681AF49"), kUidA);
  EXPECT_EQ(NormalizePodUid(kUidA), kUidA);
  EXPECT_EQ(NormalizePodUid("3e61c214bc3ed9ff81e21474dd6cba17"), "3e61c214bc3ed9ff81e21474dd6cba17");
  EXPECT_EQ(NormalizePodUid("44c76ce5f953-4bd3-bc89-12621681af49x"), "");
  EXPECT_EQ(NormalizePodUid("44c76ce5-f953-4bd3-bc89-12621681af4g"), "");
  EXPECT_EQ(NormalizePodUid("runtime"), "");
  EXPECT_EQ(NormalizePodUid(""), "");
}

TEST(ContainerIdPrefix, TwelveToSixtyFourHexDigits) {
  EXPECT_TRUE(IsContainerIdPrefix("40c0357000ab"));
  EXPECT_TRUE(IsContainerIdPrefix(kCtr));
  EXPECT_FALSE(IsContainerIdPrefix("40c0357000a"));        // 11
  EXPECT_FALSE(IsContainerIdPrefix(kCtr + "0"));           // 65
  EXPECT_FALSE(IsContainerIdPrefix("40c0357000ag"));
  EXPECT_FALSE(IsContainerIdPrefix(""));
}

}  // namespace
}  // namespace goretain::targets
