// Labels without an API server (userspace/targets/labels.h, pod_metadata.h): annotation readers
// on fixture bundles (tests/unit/fixtures/targets/host: a containerd task directory with a
// container and its pod's sandbox, a CRI-O userdata directory, runc's state.json as runc 1.1.5
// wrote it on this machine kind, /var/log/pods directories), and the pure parsers on their own.
#include <gtest/gtest.h>

#include <string>

#include "userspace/targets/labels.h"
#include "userspace/targets/mountinfo.h"
#include "userspace/targets/pod_metadata.h"
#include "userspace/targets/proc_scan.h"

namespace goretain::targets {
namespace {

std::string Repeat(const std::string& two, int n = 32) {
  std::string s;
  for (int i = 0; i < n; i++) s += two;
  return s;
}

HostPaths FixtureHost() {
  const std::string root = std::string(GORETAIN_SOURCE_DIR) + "/tests/unit/fixtures/targets/host";
  return HostPaths{"/nonexistent-proc", root + "/run", root + "/var/log/pods"};
}

TEST(Labels, ContainerdTaskDirectoryAnnotations) {
  const std::string path = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                           "7a1c2e3f_4b5d_4e6f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-" +
                           Repeat("c1") + ".scope";
  const ProcessLabels l = ReadLabels(FixtureHost(), 0, ParseCgroupPath(path), path);
  EXPECT_EQ(l.labels.container_id, Repeat("c1"));
  EXPECT_EQ(l.labels.runtime, "containerd");
  EXPECT_EQ(l.labels.pod, "api-7c9d8f6b5-x2x4q");
  EXPECT_EQ(l.labels.namespace_, "prod");
  EXPECT_EQ(l.labels.container, "api");
  EXPECT_EQ(l.labels.pod_uid, "7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b");
  EXPECT_FALSE(l.sandbox);
}

TEST(Labels, ThePodsPauseContainerIsASandbox) {
  const std::string path = "/kubepods/burstable/pod7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b/" + Repeat("d0");
  const ProcessLabels l = ReadLabels(FixtureHost(), 0, ParseCgroupPath(path), path);
  EXPECT_TRUE(l.sandbox);
  EXPECT_EQ(l.labels.pod, "api-7c9d8f6b5-x2x4q");
  EXPECT_EQ(l.labels.container, "");
}

TEST(Labels, CrioUserdataAnnotations) {
  const std::string path = "/kubepods/besteffort/pod5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9/crio-" + Repeat("c2");
  const ProcessLabels l = ReadLabels(FixtureHost(), 0, ParseCgroupPath(path), path);
  EXPECT_EQ(l.labels.runtime, "cri-o");
  EXPECT_EQ(l.labels.pod, "jobs-0");
  EXPECT_EQ(l.labels.namespace_, "batch");
  EXPECT_EQ(l.labels.container, "worker");
  EXPECT_EQ(l.labels.pod_uid, "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9");
}

// runc run with a kubelet-like cgroupsPath: the state whose cgroup path is the process's.
TEST(Labels, RuncStateByCgroupPath) {
  const std::string path = "/tgtest-kubepods/besteffort/pod0d9f4a3e-1b2c-4d5e-8f90-123456789abc/" +
                           Repeat("ab");
  const ProcessLabels l = ReadLabels(FixtureHost(), 0, ParseCgroupPath(path), path);
  EXPECT_EQ(l.labels.container_id, Repeat("ab"));
  EXPECT_EQ(l.labels.pod, "web");
  EXPECT_EQ(l.labels.namespace_, "shop");
  EXPECT_EQ(l.labels.container, "app");
  EXPECT_EQ(l.labels.runtime, "containerd");  // the annotations say whose they are
}

// No bundle: the pod's /var/log/pods directory names its namespace and pod, and its only
// container directory the container.
TEST(Labels, PodLogsAreTheFallback) {
  const std::string path = "/kubepods/pod0d9f4a3e-1b2c-4d5e-8f90-123456789abc/" + Repeat("e5");
  const ProcessLabels l = ReadLabels(FixtureHost(), 0, ParseCgroupPath(path), path);
  EXPECT_EQ(l.labels.pod, "web");
  EXPECT_EQ(l.labels.namespace_, "shop");
  EXPECT_EQ(l.labels.container, "app");
  // Two container directories: which one is unknown.
  const std::string two = "/kubepods/pod11111111_2222_3333_4444_555555555555/" + Repeat("e6");
  const ProcessLabels t = ReadLabels(FixtureHost(), 0, ParseCgroupPath(two), two);
  EXPECT_EQ(t.labels.pod, "two");
  EXPECT_EQ(t.labels.container, "");
}

TEST(Labels, OutsideContainersNothing) {
  const ProcessLabels l = ReadLabels(FixtureHost(), 0, ParseCgroupPath("/user.slice"), "/user.slice");
  EXPECT_EQ(l.labels, TargetLabels{});
}

TEST(PodMetadata, RuncStateJson) {
  auto text = ReadSmallFile(FixtureHost().run + "/runc/tgtest1/state.json");
  ASSERT_TRUE(text);
  auto s = ParseRuncState(*text);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->id, "tgtest1");
  EXPECT_EQ(s->init_pid, 7723);
  EXPECT_EQ(s->bundle, "/tmp/tgb");
  EXPECT_EQ(s->annotations.at("io.kubernetes.cri.sandbox-name"), "web");
  EXPECT_FALSE(s->annotations.contains("bundle"));
}

TEST(PodMetadata, MalformedJsonIsAnErrorNotACrash) {
  for (const char* text : {"", "{", "[]", "null", "{\"annotations\": 5}", "\xff\xfe"}) {
    auto a = ParseOciConfigAnnotations(text);
    if (a) {
      EXPECT_TRUE(a->empty()) << text;
    }
    auto s = ParseRuncState(text);
    if (s) {
      EXPECT_TRUE(s->annotations.empty()) << text;
    }
  }
  EXPECT_FALSE(ParseOciConfigAnnotations("[1,2]").ok());
}

TEST(PodMetadata, DockershimLabelsAndThePodContainer) {
  const PodAnnotations a = ReadPodAnnotations({{"io.kubernetes.pod.name", "p"},
                                               {"io.kubernetes.pod.namespace", "n"},
                                               {"io.kubernetes.container.name", "POD"}});
  EXPECT_TRUE(a.sandbox);
  EXPECT_EQ(a.pod, "p");
  EXPECT_EQ(a.container, "");
}

// podman kube play writes io.kubernetes.cri-o.* keys too: not CRI-O.
TEST(PodMetadata, PodmanIsNotCrio) {
  const PodAnnotations a = ReadPodAnnotations({{"io.container.manager", "libpod"},
                                               {"io.kubernetes.cri-o.ContainerType", "container"}});
  EXPECT_EQ(a.runtime, "");
}

TEST(PodMetadata, PodLogDirectoryNames) {
  auto d = ParsePodLogDirName("kube-system_coredns-5d78c9869d-abcde_6b1f3c2a-0e4d-4c1b-9a7e-3f2d1c0b9a88");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->namespace_, "kube-system");
  EXPECT_EQ(d->pod, "coredns-5d78c9869d-abcde");
  EXPECT_EQ(d->pod_uid, "6b1f3c2a-0e4d-4c1b-9a7e-3f2d1c0b9a88");
  EXPECT_FALSE(ParsePodLogDirName("ns_pod"));
  EXPECT_FALSE(ParsePodLogDirName("_pod_6b1f3c2a-0e4d-4c1b-9a7e-3f2d1c0b9a88"));
  EXPECT_FALSE(ParsePodLogDirName("ns__6b1f3c2a-0e4d-4c1b-9a7e-3f2d1c0b9a88"));
  EXPECT_FALSE(ParsePodLogDirName("ns_pod_notauid"));
}

// This machine kind's hybrid layout, and a unified host; octal escapes decoded.
TEST(Mountinfo, FindsTheCgroup2Mount) {
  const std::string hybrid =
      "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
      "31 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
      "32 31 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
      "cgroup2 rw,nsdelegate\n"
      "33 31 0:28 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd\n";
  auto m = FindCgroup2Mount(hybrid);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(m->root, "/");
  auto u = FindCgroup2Mount("30 1 0:26 /../.. /host/sys/fs/cgroup\\040x rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->mount_point, "/host/sys/fs/cgroup x");
  EXPECT_EQ(u->root, "/../..");
  EXPECT_FALSE(FindCgroup2Mount("33 31 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"));
  EXPECT_FALSE(FindCgroup2Mount("garbage\n - cgroup2\n"));
}

}  // namespace
}  // namespace goretain::targets
