// --all (issue 13): goretain scans /proc once and traces every Go process of the host. The test
// starts two gated Go programs (tests/targets/counts, one plain, one inside a cgroup of its
// own), a non-Go process (sleep) and then `goretain --all`. Both programs are traced, each with
// its exact counts on its own rows; the sleep is skipped with a -v line, not an error; goretain
// does not trace itself; a Go program started after the scan is not attached (--all does not
// follow, README). The host may run other Go programs (other tests): the test only looks at its
// own pids and never at totals.
#include <signal.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "harness.h"
#include "tests/support/test_cgroup.h"

namespace e2e {
namespace {

namespace ts = goretain::test_support;

// The alloc_objects of counts' `// want: <kind> <label>` line in process `pid` (-1: no row).
int64_t Objects(const json& report, const std::string& kind, const std::string& label, pid_t pid) {
  const int line = WantLine("counts", kind, label);
  const std::string function = WantFunction("counts", kind, label);
  for (const json& c : report["callsites"]) {
    if (c["line"] == line && c["kind"] == kind && c["function"] == function && c["pid"] == pid) {
      return c["alloc_objects"].get<int64_t>();
    }
  }
  return -1;
}

std::vector<std::string> Counts(const fs::path& gate, int hint, int small, int append) {
  return {Target("counts"),       "-wait",   gate.string(), "-hint", std::to_string(hint),
          "-small",              std::to_string(small), "-append", std::to_string(append)};
}

class AllProcesses : public E2ETest {};

TEST_F(AllProcesses, TracesEveryGoProcessAndSkipsTheRest) {
  ts::TestCgroup cgroup("all");  // declared first: removed after the processes in it are gone
  Process plain(Counts(tmp_ / "gate-plain", 31, 17, 9));
  Process grouped(cgroup.Wrap(Counts(tmp_ / "gate-grouped", 13, 7, 5)));
  Process sleeper({"sleep", "300"});
  // Both Go programs have started (their runtimes are up) before goretain scans /proc.
  for (int i = 0; i < 100; i++) {
    std::string exe;
    std::error_code ec;
    exe = fs::read_symlink("/proc/" + std::to_string(grouped.pid()) + "/exe", ec).string();
    if (exe == Target("counts")) break;
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(300ms);

  // No call-site cap in practice: other tests' programs on this host may hold thousands of call
  // sites, which would take the default 10,000 first and fold this test's rows into (other).
  Process gr = Goretain(
      {"--all", "-v", "--format", "json", "--duration", "60", "--max-callsites", "10000000"});
  ASSERT_TRUE(Attached(gr, 60s));
  for (pid_t pid : {plain.pid(), grouped.pid()}) {
    EXPECT_NE(gr.Stderr().find("tracing pid " + std::to_string(pid) + " ("), std::string::npos)
        << gr.Describe();
  }
  // The non-Go process: skipped, with the reason under -v.
  EXPECT_NE(gr.Stderr().find("pid " + std::to_string(sleeper.pid()) +
                             ": skipped: not a Go program"),
            std::string::npos)
      << gr.Stderr();
  // A Go program started after the scan is not attached: --all does not follow.
  Process late(Counts(tmp_ / "gate-late", 3, 0, 0));
  std::this_thread::sleep_for(1500ms);
  Touch(tmp_ / "gate-late");
  Touch(tmp_ / "gate-plain");
  Touch(tmp_ / "gate-grouped");
  for (Process* p : {&plain, &grouped, &late}) ASSERT_EQ(p->Wait(), 0) << p->Describe();
  // Other Go programs of the host keep the trace going: it ends on SIGTERM (the ring buffer is
  // drained first: the programs' events are all in it once they have exited).
  gr.Signal(SIGTERM);
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();
  EXPECT_EQ(gr.Stderr().find("goretain: error"), std::string::npos) << gr.Stderr();

  json r;
  ASSERT_TRUE(OneReport(gr.Stdout(), &r));
  std::set<int64_t> traced;
  for (const json& t : r["targets"]) traced.insert(t["pid"].get<int64_t>());
  EXPECT_TRUE(traced.contains(plain.pid())) << r["targets"].dump();
  EXPECT_TRUE(traced.contains(grouped.pid())) << r["targets"].dump();
  EXPECT_FALSE(traced.contains(sleeper.pid()));
  EXPECT_FALSE(traced.contains(late.pid()));
  EXPECT_FALSE(traced.contains(gr.pid()));  // goretain does not trace itself
  for (const json& c : r["callsites"]) {
    EXPECT_NE(c["pid"], late.pid()) << c.dump();
    EXPECT_NE(c["pid"], sleeper.pid()) << c.dump();
  }
  // Each program's own rows, with its exact counts.
  EXPECT_EQ(Objects(r, "map.make", "hint", plain.pid()), 31) << DescribeCallsites(r);
  EXPECT_EQ(Objects(r, "map.make", "small", plain.pid()), 17);
  EXPECT_EQ(Objects(r, "slice.grow", "once", plain.pid()), 9);
  EXPECT_EQ(Objects(r, "map.make", "hint", grouped.pid()), 13);
  EXPECT_EQ(Objects(r, "map.make", "small", grouped.pid()), 7);
  EXPECT_EQ(Objects(r, "slice.grow", "once", grouped.pid()), 5);
  sleeper.Kill();
}

}  // namespace
}  // namespace e2e
