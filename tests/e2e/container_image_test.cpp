// The agent's container image under a real container runtime (issue 13 item 6): build the image
// with scripts/build-image.sh, unpack its rootfs from the OCI layout, and run `goretain agent`
// from it under runc with the DaemonSet's settings (host PID namespace, the capabilities it
// lists, the host's /sys read-only), against a Go program in a second runc container whose
// bundle looks like a kubelet + containerd one (kubelet cgroupfs path, CRI annotations). The
// agent selects the pod's cgroup, finds the container's process, follows a second one started
// later with `runc exec`, and reports both programs' allocations exactly.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"
#include "http_client.h"
#include "markers.h"
#include "tests/support/runc_bundle.h"

namespace e2e {
namespace {

namespace ts = goretain::test_support;

bool HaveRunc() { return RunToEnd({"runc", "--version"}, 10s).exit_code() == 0; }

std::vector<std::string> DaemonSetList(const std::string& key);

// The capabilities the DaemonSet adds (deploy/daemonset.yaml), less any this machine's bounding
// set lacks (CAP_SYS_RESOURCE here): runc cannot grant what it does not have.
std::vector<std::string> DaemonSetCapabilities() {
  std::ifstream status("/proc/self/status");
  uint64_t bounding = ~0ull;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapBnd:", 0) == 0) bounding = std::stoull(line.substr(7), nullptr, 16);
  }
  const std::map<std::string, int> bits = {{"BPF", 39},          {"PERFMON", 38},
                                           {"SYS_PTRACE", 19},   {"DAC_READ_SEARCH", 2},
                                           {"SYS_RESOURCE", 24}, {"SYS_ADMIN", 21}};
  std::vector<std::string> out;
  for (const std::string& name : DaemonSetList("add")) {
    auto bit = bits.find(name);
    if (bit == bits.end() || (bounding & (1ull << bit->second))) out.push_back("CAP_" + name);
  }
  return out;
}

// The items of a YAML block list in deploy/daemonset.yaml: the "- ITEM" lines right after the
// first line that is `key:` (indented any way; comments skipped). Enough for the DaemonSet's args and added
// capabilities, so the test runs the agent as the DaemonSet does and follows it when it changes.
std::vector<std::string> DaemonSetList(const std::string& key) {
  std::ifstream yaml(fs::path(GORETAIN_SOURCE_DIR) / "deploy/daemonset.yaml");
  std::vector<std::string> items;
  bool in = false;
  for (std::string line; std::getline(yaml, line);) {
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos || line[start] == '#') continue;  // blank or comment
    std::string text = line.substr(start, line.find(" #", start) - start);
    text.erase(text.find_last_not_of(' ') + 1);
    if (!in) {
      in = text == key + ":";
      continue;
    }
    if (text.rfind("- ", 0) != 0) break;
    items.push_back(text.substr(2));
  }
  return items;
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

// A runc container of a kubelet-like pod (cgroupfs path, containerd's CRI annotations) running a
// leakrun target (tests/targets/<target>) gated by <bundle>/rootfs/gate.
struct PodContainer {
  std::string ns, pod, container, pod_uid, id, qos;
  std::string target;
  fs::path bundle;
  pid_t pid = 0;
};

void WritePodContainer(PodContainer& c) {
  ts::BundleConfig config;
  config.args = {"/" + c.target, "-wait", "/gate", "-gc-per-s", "2"};
  config.cgroups_path = ts::KubeletCgroupsPath(c.qos, c.pod_uid, c.id);
  config.annotations = ts::ContainerdAnnotations(c.ns, c.pod, c.pod_uid, c.container, c.id);
  ts::WriteBundle(c.bundle, config);
  fs::copy_file(Target(c.target), c.bundle / "rootfs" / c.target);
}

// The samples of `name` at the marker's line of the container's process.
std::vector<MetricSample> SiteSamples(const std::vector<MetricSample>& all, const std::string& name,
                                      const PodContainer& c, const Marker& m) {
  return Select(all, name,
                {{"pid", std::to_string(c.pid)}, {"kind", m.kind}, {"function", m.function},
                 {"line", std::to_string(m.line)}});
}

std::string Label(const MetricSample& s, const std::string& name) {
  auto it = s.labels.find(name);
  return it == s.labels.end() ? "" : it->second;
}

// The series of one pid, for failure messages.
std::string DescribePid(const std::vector<MetricSample>& all, pid_t pid, size_t max = 40) {
  std::string out;
  for (const MetricSample& s : all) {
    if (Label(s, "pid") != std::to_string(pid) || max-- == 0) continue;
    out += s.name + "{";
    for (const auto& [k, v] : s.labels) out += k + "=\"" + v + "\",";
    out += "} " + std::to_string(s.value) + "\n";
  }
  return out;
}

// The agent's bundle (rootfs already unpacked): the DaemonSet's args, env, capabilities and
// mounts, but for the listening address (see the test).
void WriteDaemonSetAgentBundle(const fs::path& bundle) {
  std::vector<std::string> args = DaemonSetList("args");
  ASSERT_EQ(args.at(0), "agent") << "deploy/daemonset.yaml's args";
  auto listen = std::find(args.begin(), args.end(), "--listen");
  ASSERT_NE(listen, args.end()) << "the DaemonSet serves /metrics with --listen: "
                                << testing::PrintToString(args);
  ASSERT_EQ(*(listen + 1), "0.0.0.0:9464");
  *(listen + 1) = "127.0.0.1:0";
  // A series for every call site: this host's other Go programs (other tests') must not crowd
  // the test's lines into function="(other)" (--metrics-top caps the series over the node).
  args.insert(args.end(), {"--metrics-top", "0"});
  ts::BundleConfig agent;
  agent.args = {"/usr/bin/goretain"};
  agent.args.insert(agent.args.end(), args.begin(), args.end());
  agent.env.push_back("NODE_NAME=test-node");
  agent.host_pid = true;
  agent.capabilities = DaemonSetCapabilities();
  agent.binds.push_back({"/run", "/run", true});
  ts::WriteBundle(bundle, agent);
}

// How many of `lines` of the container's process have goretain_leaking 1 in `samples`.
int LinesFlagged(const std::vector<MetricSample>& samples, const PodContainer& c,
                 const std::vector<Marker>& lines) {
  int n = 0;
  for (const Marker& m : lines) {
    for (const MetricSample& s : SiteSamples(samples, "goretain_leaking", c, m)) {
      n += s.value == 1 && Label(s, "pod") == c.pod;
    }
  }
  return n;
}

// The container's series: its target_info and, at each marked line, its counters (> 0) with the
// container's labels and its leak gauge; at a steady leak's line (`leaks`), retained bytes over
// half the bytes allocated there; at a control's line, under a quarter.
void ExpectContainerSeries(const std::vector<MetricSample>& samples, const PodContainer& c,
                           const std::vector<Marker>& lines, bool leaks) {
  SCOPED_TRACE(c.target);
  const std::map<std::string, std::string> labels = {
      {"namespace", c.ns}, {"pod", c.pod}, {"container", c.container}, {"container_id", c.id}};
  const auto info = Select(samples, "goretain_target_info", labels);
  ASSERT_EQ(info.size(), 1u) << DescribePid(samples, c.pid);
  EXPECT_EQ(Label(info[0], "pid"), std::to_string(c.pid));
  EXPECT_EQ(Label(info[0], "exe"), "/" + c.target);  // the path in its container
  for (const Marker& m : lines) {
    SCOPED_TRACE(m.kind + " " + m.label + " line " + std::to_string(m.line));
    const auto bytes = SiteSamples(samples, "goretain_alloc_bytes_total", c, m);
    ASSERT_EQ(bytes.size(), 1u) << DescribePid(samples, c.pid);  // one series per line
    for (const auto& [name, value] : labels) EXPECT_EQ(Label(bytes[0], name), value);
    EXPECT_GT(bytes[0].value, 0);
    const auto objects = SiteSamples(samples, "goretain_alloc_objects_total", c, m);
    ASSERT_EQ(objects.size(), 1u);
    EXPECT_GT(objects[0].value, 0);
    ASSERT_EQ(SiteSamples(samples, "goretain_leaking", c, m).size(), 1u);
    const auto retained = SiteSamples(samples, "goretain_retained_bytes", c, m);
    if (!leaks) {  // the controls drop what they allocate: little is live after a GC
      for (const MetricSample& r : retained) EXPECT_LT(r.value, 0.25 * bytes[0].value);
    }
    if (leaks && !m.steps) {  // the steady leaks hold what they allocated (less what was
      ASSERT_EQ(retained.size(), 1u);  // allocated since the last checked GC)
      EXPECT_GT(retained[0].value, 0.5 * bytes[0].value);
      printf("leak line %d (%s): alloc %.0f B, retained %.0f B, flagged %d\n", m.line,
             m.kind.c_str(), bytes[0].value, retained[0].value, LinesFlagged(samples, c, {m}));
    }
  }
}

// Issue 13: "the agent image run under runc serves metrics for every Go container on the host".
// The agent runs from the image's rootfs with the DaemonSet's args (`agent --all --listen ...`:
// sampled mode, every Go process of the host), capabilities, host PID namespace and read-only
// mounts of the host's /run and /sys; two pods' Go containers run beside it, one leaking
// (leak1_maplist), one not (control2_request). The test scrapes /metrics over HTTP: each
// container's call-site lines have series with the container's labels, real byte figures, and
// the leaking line its leak flag. (The DaemonSet's pod has its own network namespace and listens
// on 0.0.0.0:9464 there; these containers share the host's, so the agent listens on a port of
// the kernel's choosing on loopback.)
TEST_F(ContainerImageTest, AgentImageAsTheDaemonSetServesMetricsOfEveryGoContainer) {
  if (!HaveRunc()) GTEST_SKIP() << "runc is not installed (scripts/install-deps.sh installs it)";
  Process build = RunToEnd({fs::path(GORETAIN_SOURCE_DIR) / "scripts/build-image.sh",
                            GoretainBin(), (tmp_ / "image").string(), "goretain:test"}, 120s);
  ASSERT_EQ(build.exit_code(), 0) << build.Describe();
  const fs::path agent_bundle = tmp_ / "agent";
  ASSERT_NO_FATAL_FAILURE(UnpackImage(tmp_ / "image/goretain-image.oci.tar", tmp_ / "oci",
                                      agent_bundle / "rootfs"));

  PodContainer leak{"shop", "", "cart", ts::RandomPodUid(), ts::RandomContainerId(), "besteffort",
                    "leak1_maplist", tmp_ / "leak"};
  PodContainer control{"shop", "", "web", ts::RandomPodUid(), ts::RandomContainerId(),
                       "burstable", "control2_request", tmp_ / "control"};
  leak.pod = "cart-" + leak.id.substr(0, 6);
  control.pod = "web-" + control.id.substr(0, 6);
  struct PodCgroups {  // removed after runc has deleted the containers (declared before it)
    std::vector<std::string> paths;
    ~PodCgroups() {
      for (const std::string& p : paths) ts::RemoveCgroupEverywhere(p);
    }
  } pod_cgroups{{"/kubepods/besteffort/pod" + leak.pod_uid,
                 "/kubepods/burstable/pod" + control.pod_uid}};
  // runc's default state root, on the host's /run: where the agent reads the containers'
  // annotations (state.json), as on a node. Only this test's containers are deleted.
  ts::RuncRoot runc("/run/runc", tmp_ / "runc-scratch");
  for (PodContainer* c : {&leak, &control}) {
    WritePodContainer(*c);
    c->pid = runc.RunDetached("gr-test-" + c->container + "-" + c->id.substr(0, 12), c->bundle);
  }

  ASSERT_NO_FATAL_FAILURE(WriteDaemonSetAgentBundle(agent_bundle));
  ts::RuncRoot agent_runc(tmp_ / "runc-state");
  const std::string agent_id = "gr-test-agent-" + leak.id.substr(0, 12);
  Process runc_agent(agent_runc.RunArgv(agent_id, agent_bundle));
  for (const PodContainer* c : {&leak, &control}) {
    ASSERT_TRUE(runc_agent.WaitForStderr("tracing pid " + std::to_string(c->pid) + " (", 60s))
        << runc_agent.Describe();
    Touch(c->bundle / "rootfs/gate");
  }
  const std::string url = ServingUrl(runc_agent);
  ASSERT_FALSE(url.empty()) << runc_agent.Describe();

  // Scrape (once a second, at most 60 s) until the leak is flagged at one of leak1_maplist's
  // leaking lines; then every marked line of both programs has its series.
  const std::vector<Marker> leak_lines = Markers("leak1_maplist", "leak");
  const std::vector<Marker> control_lines = Markers("control2_request", "control");
  std::vector<MetricSample> samples;
  for (int i = 0; i < 60 && LinesFlagged(samples, leak, leak_lines) == 0; i++) {
    std::this_thread::sleep_for(1s);
    const HttpReply reply = HttpGet(url, "/metrics");
    if (reply.status == 200) samples = ParseMetrics(reply.body);
  }
  ASSERT_GE(LinesFlagged(samples, leak, leak_lines), 1) << runc_agent.Describe();
  ExpectContainerSeries(samples, leak, leak_lines, true);
  ExpectContainerSeries(samples, control, control_lines, false);
  EXPECT_EQ(LinesFlagged(samples, control, control_lines), 0) << "a control line flagged";

  // /metrics?pod=NS/NAME: the leaking pod's series alone, its leak flagged there too.
  const HttpReply cart = HttpGet(url, "/metrics?pod=" + leak.ns + "/" + leak.pod);
  ASSERT_EQ(cart.status, 200);
  const std::vector<MetricSample> of_pod = ParseMetrics(cart.body);
  std::set<std::string> pids;
  for (const MetricSample& s : Select(of_pod, "goretain_alloc_bytes_total")) {
    pids.insert(Label(s, "pid"));
  }
  EXPECT_EQ(pids, std::set<std::string>{std::to_string(leak.pid)});
  EXPECT_GE(LinesFlagged(of_pod, leak, leak_lines), 1) << DescribePid(of_pod, leak.pid);

  ASSERT_TRUE(agent_runc.Kill(agent_id, "TERM"));
  ASSERT_EQ(runc_agent.Wait(), 0) << runc_agent.Describe();
}

}  // namespace
}  // namespace e2e
