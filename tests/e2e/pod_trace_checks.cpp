#include "pod_trace_checks.h"

#include <signal.h>

#include "markers.h"

namespace e2e {

void ExpectCountsContainerTraced(Process& gr, const std::string& pod, const std::string& cid,
                                 pid_t pid, const fs::path& gate, const json& labels) {
  EXPECT_NE(gr.Stderr().find("[pod goretain-e2e/" + pod + ", container app, containerd " +
                             cid.substr(0, 12) + ", pid 1 in its namespace]"),
            std::string::npos) << gr.Describe();
  Touch(gate);
  // A selected pod is followed (a restart or a new container would be attached): the trace
  // ends on a signal.
  ASSERT_TRUE(gr.WaitForStderr("pid " + std::to_string(pid) + " exited")) << gr.Describe();
  gr.Signal(SIGTERM);
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();
  json r;
  ASSERT_TRUE(OneReport(gr.Stdout(), &r)) << gr.Describe();
  ASSERT_EQ(r["targets"].size(), 1u) << r["targets"].dump();
  const json& t = r["targets"][0];
  EXPECT_EQ(t["pid"], pid);
  EXPECT_EQ(t["ns_pid"], 1);
  EXPECT_EQ(t["exe"], "/counts");
  EXPECT_EQ(t["labels"], labels);
  const int line = WantLine("counts", "map.make", "hint");
  const json* row = nullptr;
  for (const json& c : r["callsites"]) {
    if (c["line"] == line && c["kind"] == "map.make") row = &c;
  }
  ASSERT_NE(row, nullptr) << DescribeCallsites(r);
  EXPECT_EQ((*row)["alloc_objects"], 210);
  EXPECT_EQ((*row)["pid"], pid);
  EXPECT_EQ((*row)["labels"], labels);
}

}  // namespace e2e
