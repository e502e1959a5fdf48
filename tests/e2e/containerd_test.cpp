// --pod NAMESPACE/NAME on a container run by a real containerd (issue 13): a private daemon (its
// own root, state, sockets, config; the CRI plugin off) in the test's temp dir, and
// `ctr run --rootfs --cgroup --annotation` as a kubelet + containerd node would start a container:
// cgroupfs-driver path /kubepods/besteffort/pod<uid>/<id> under a test-unique parent, containerd's
// CRI annotations, a Go target (tests/targets/counts) as the container's process. The daemon's
// state and the runc root (--runc-root) are private, so neither containerd's well-known state
// directory nor /run/containerd/runc holds the bundle: goretain finds it through the shim, which
// runs in the bundle directory. Then the container's labels, its PID inside its namespace (1),
// and the target's exact counts.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"
#include "kube_cgroup.h"
#include "markers.h"
#include "pod_trace_checks.h"

namespace e2e {
namespace {

bool Installed(const char* name) {
  for (const char* dir : {"/usr/bin/", "/usr/sbin/", "/usr/local/bin/"}) {
    if (access((std::string(dir) + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// A containerd of the test's own: config, root, state and sockets under `dir`. The destructor
// force-deletes the containers it ran (so their shims exit), then stops the daemon.
class PrivateContainerd {
 public:
  explicit PrivateContainerd(const fs::path& dir) : dir_(dir) {}
  ~PrivateContainerd() {
    for (const std::string& id : containers_) {
      Ctr({"task", "kill", "--signal", "SIGKILL", id});
      for (int i = 0; i < 50 && Ctr({"task", "delete", "--force", id}).exit_code() != 0; i++) {
        std::this_thread::sleep_for(100ms);
      }
      Ctr({"container", "delete", id});
    }
    if (daemon_.pid() > 0 && daemon_.Running()) {
      daemon_.Signal(SIGTERM);
      daemon_.Wait(10s);
    }
  }

  std::string socket() const { return (dir_ / "containerd.sock").string(); }

  ::testing::AssertionResult Start() {
    // Only what `ctr run --rootfs` needs: no CRI, no snapshotters that want a special filesystem,
    // no tracing, no /opt/containerd (the opt plugin); no debug or metrics listeners. (Left on
    // the host, empty: containerd 1.6's shim socket directory /run/containerd/s, fixed.)
    std::ofstream(dir_ / "config.toml")
        << "version = 2\n"
        << "root = \"" << (dir_ / "root").string() << "\"\n"
        << "state = \"" << (dir_ / "state").string() << "\"\n"
        << "disabled_plugins = [\"io.containerd.grpc.v1.cri\", "
           "\"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\", "
           "\"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.snapshotter.v1.aufs\", "
           "\"io.containerd.tracing.processor.v1.otlp\", \"io.containerd.internal.v1.tracing\", "
           "\"io.containerd.internal.v1.opt\"]\n"
        << "[grpc]\n  address = \"" << socket() << "\"\n"
        << "[ttrpc]\n  address = \"" << socket() << ".ttrpc\"\n"
        << "[debug]\n  address = \"\"\n"
        << "[metrics]\n  address = \"\"\n";
    daemon_ = Process({"containerd", "--config", (dir_ / "config.toml").string()});
    if (!daemon_.WaitForStderr("containerd successfully booted", 30s)) {
      return ::testing::AssertionFailure() << daemon_.Describe();
    }
    return ::testing::AssertionSuccess();
  }

  Process Ctr(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ctr", "--address", socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunToEnd(argv, 30s);
  }

  // `ctr run -d --rootfs ... ROOTFS ID ARGS...`; the task's host PID in `pid`.
  ::testing::AssertionResult Run(const std::string& id, const std::vector<std::string>& flags,
                                 const fs::path& rootfs, const std::vector<std::string>& args,
                                 pid_t* pid) {
    std::vector<std::string> argv{"run", "-d", "--rootfs", "--runc-root", (dir_ / "runc").string(),
                                  "--fifo-dir", (dir_ / "fifo").string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(rootfs.string());
    argv.push_back(id);
    argv.insert(argv.end(), args.begin(), args.end());
    containers_.push_back(id);
    Process run = Ctr(argv);
    if (run.exit_code() != 0) return ::testing::AssertionFailure() << run.Describe();
    Process ls = Ctr({"task", "list"});  // TASK PID STATUS
    std::istringstream lines(ls.Stdout());
    std::string task, status;
    long p = 0;
    for (std::string line; std::getline(lines, line);) {
      std::istringstream(line) >> task >> p >> status;
      if (task == id && status == "RUNNING") {
        *pid = static_cast<pid_t>(p);
        return ::testing::AssertionSuccess();
      }
    }
    return ::testing::AssertionFailure() << "task " << id << " not running: " << ls.Describe()
                                         << "\ncontainerd: " << daemon_.Describe();
  }

 private:
  fs::path dir_;
  Process daemon_;
  std::vector<std::string> containers_;
};

class Containerd : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    for (const char* tool : {"containerd", "ctr", "containerd-shim-runc-v2", "runc"}) {
      if (!Installed(tool)) GTEST_SKIP() << tool << " is not installed (scripts/install-deps.sh)";
    }
    if (Cgroup2Mount().empty()) GTEST_SKIP() << "no cgroup v2 mount on this host";
  }

  // One container of a pod, as kubelet and containerd's CRI plugin would make it.
  struct PodContainer {
    std::string uid = RandomPodUid(), cid = RandomContainerId();
    std::string pod;
    fs::path gate_dir;
    pid_t pid = 0;
  };

  // Runs tests/targets' `target` (copied into a fresh rootfs; ARGS after it) as container
  // `container` of pod `pod_prefix`-<cid> in namespace goretain-e2e: kubelet's besteffort cgroup
  // path, the CRI annotations, and tmp_/gate bound at /gate.
  ::testing::AssertionResult RunInPod(PrivateContainerd& containerd, const std::string& pod_prefix,
                                      const std::string& container, const std::string& target,
                                      const std::vector<std::string>& args, PodContainer* out) {
    PodContainer& c = *out;
    c.pod = pod_prefix + "-" + c.cid.substr(0, 8);
    c.gate_dir = tmp_ / "gate";
    const fs::path rootfs = tmp_ / "rootfs";
    fs::create_directories(c.gate_dir);
    fs::create_directories(rootfs);
    fs::copy_file(Target(target), rootfs / target);
    const std::string cgroup =
        cgroups_.parent() + "/kubepods/besteffort/pod" + c.uid + "/" + c.cid;
    std::vector<std::string> argv{"/" + target};
    argv.insert(argv.end(), args.begin(), args.end());
    return containerd.Run(
        c.cid,
        {"--cgroup", cgroup,
         "--annotation", "io.kubernetes.cri.container-type=container",
         "--annotation", "io.kubernetes.cri.container-name=" + container,
         "--annotation", "io.kubernetes.cri.sandbox-name=" + c.pod,
         "--annotation", "io.kubernetes.cri.sandbox-namespace=goretain-e2e",
         "--annotation", "io.kubernetes.cri.sandbox-uid=" + c.uid,
         "--mount", "type=bind,src=" + c.gate_dir.string() + ",dst=/gate,options=rbind:rw"},
        rootfs, argv, &c.pid);
  }
  KubeCgroups cgroups_;  // declared first: removed after the container is deleted
};

TEST_F(Containerd, PodByNameFindsTheContainerThroughTheShim) {
  PrivateContainerd containerd(tmp_.path());
  ASSERT_TRUE(containerd.Start());
  PodContainer c;
  ASSERT_TRUE(RunInPod(containerd, "api", "app", "counts",
                       {"-wait", "/gate/open", "-hint", "210", "-small", "0", "-append", "0"}, &c));
  const std::string &uid = c.uid, &cid = c.cid, &pod = c.pod;
  const fs::path& gate_dir = c.gate_dir;
  const pid_t pid = c.pid;
  // The bundle is only in the private state directory: the shim is the way to it.
  ASSERT_FALSE(fs::exists("/run/containerd/io.containerd.runtime.v2.task/default/" + cid));

  Process gr = Goretain({"--format", "json", "-v", "--pod", "goretain-e2e/" + pod});
  ASSERT_TRUE(Attached(gr, 60s));
  const json want = {{"container_id", cid}, {"pod", pod}, {"namespace", "goretain-e2e"},
                     {"container", "app"}, {"runtime", "containerd"}, {"pod_uid", uid}};
  ExpectCountsContainerTraced(gr, pod, cid, pid, gate_dir / "open", want);
}

// True if a row of `table` (one report of -f table) is the marker's line, marked LEAK.
bool TableSaysLeak(const std::string& table, const Marker& m) {
  const std::string site = "main.go:" + std::to_string(m.line);
  std::istringstream rows(table);
  for (std::string line; std::getline(rows, line);) {
    if (line.find(m.kind + " LEAK") != std::string::npos && line.find(site) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Issue 13: "`goretain --pod NS/NAME` against a containerd-run container with Kubernetes
// annotations shows labelled leaking lines". The container runs leak1_maplist (its events log
// never shrinks; two GCs a second so the leak signal comes within seconds); goretain reports
// every second until one of its `// want: ... leak` lines is flagged (JSON), then ends on
// SIGTERM: in the final report that line is leaking (JSON `leaking`, LEAK in the table) and
// carries the pod's labels from containerd's annotations.
TEST_F(Containerd, PodByNameShowsTheLeakingLineWithItsLabels) {
  const std::string target = "leak1_maplist";
  PrivateContainerd containerd(tmp_.path());
  ASSERT_TRUE(containerd.Start());
  PodContainer c;
  ASSERT_TRUE(RunInPod(containerd, "events", "recorder", target,
                       {"-wait", "/gate/open", "-gc-per-s", "2"}, &c));
  const std::string &uid = c.uid, &cid = c.cid, &pod = c.pod;
  const fs::path& gate_dir = c.gate_dir;
  const pid_t pid = c.pid;

  const fs::path json_out = tmp_ / "report.json", table_out = tmp_ / "report.txt";
  Process gr = Goretain({"--pod", "goretain-e2e/" + pod, "-i", "1", "-f", "json", "-o",
                         json_out.string(), "-f", "table", "-o", table_out.string()});
  ASSERT_TRUE(Attached(gr, 60s));
  Touch(gate_dir / "open");
  const std::vector<Marker> leaks = Markers(target, "leak");
  auto flagged = [&](const json& report) {
    for (const Marker& m : leaks) {
      const json* row = FindCallsite(report, m.kind, m.function, m.line);
      if (row && (*row)["leaking"].get<bool>()) return true;
    }
    return false;
  };
  bool seen = false;
  for (int i = 0; i < 45 && !seen; i++) {  // leaks are flagged after 8-38 s
    std::this_thread::sleep_for(1s);
    try {
      const std::vector<json> reports = ParseReports(ReadFile(json_out));
      seen = !reports.empty() && flagged(reports.back());
    } catch (const std::exception&) {  // a report half written: read again
    }
  }
  EXPECT_TRUE(seen) << gr.Describe();
  gr.Signal(SIGTERM);
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();

  const std::vector<json> reports = ParseReports(ReadFile(json_out));
  ASSERT_FALSE(reports.empty());
  const json& r = reports.back();
  ASSERT_EQ(r["targets"].size(), 1u) << r["targets"].dump();
  EXPECT_EQ(r["targets"][0]["pid"], pid);
  const json want = {{"container_id", cid}, {"pod", pod}, {"namespace", "goretain-e2e"},
                     {"container", "recorder"}, {"runtime", "containerd"}, {"pod_uid", uid}};
  EXPECT_EQ(r["targets"][0]["labels"], want);
  const std::string table = ReadFile(table_out);
  const std::string last_table = table.substr(table.rfind("KIND"));
  int leaking_lines = 0;
  for (const Marker& m : leaks) {
    SCOPED_TRACE(m.kind + " " + m.label + " line " + std::to_string(m.line));
    const json* row = FindCallsite(r, m.kind, m.function, m.line);
    ASSERT_NE(row, nullptr) << DescribeCallsites(r);
    EXPECT_EQ((*row)["pid"], pid);
    EXPECT_EQ((*row)["labels"], want);
    EXPECT_GT((*row)["alloc_bytes"].get<int64_t>(), 0);
    if (!(*row)["leaking"].get<bool>()) continue;
    leaking_lines++;
    // It holds what it allocated, less what was allocated since the last checked GC.
    EXPECT_GT((*row)["retained_bytes"].get<double>(), 0.5 * (*row)["alloc_bytes"].get<double>());
    EXPECT_TRUE(TableSaysLeak(last_table, m)) << last_table;
    printf("%s line %d: alloc %lld B, retained %lld B, leaking\n", m.kind.c_str(), m.line,
           static_cast<long long>((*row)["alloc_bytes"].get<int64_t>()),
           static_cast<long long>((*row)["retained_bytes"].get<int64_t>()));
  }
  EXPECT_GE(leaking_lines, 1) << DescribeCallsites(r);
}

}  // namespace
}  // namespace e2e
