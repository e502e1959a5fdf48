// Profiling compiled out (issue 12 item 4): a target that never references runtime.MemProfile
// runs with runtime.MemProfileRate = 0. --sample refuses it (exit 2, one error line with the
// hint); --sample --enable-sampling=BYTES sets the rate in the target once (the only write
// goretain ever makes), says so in one line, and the target keeps computing correctly with its
// runtime now sampling (it prints its own live MemProfileRate; a later attach reads the buckets
// the runtime keeps since).
#include <thread>

#include "harness.h"

namespace e2e {
namespace {

class EnableSampling : public E2ETest {};

TEST_F(EnableSampling, RateZeroIsRefusedThenSetOnceOnRequest) {
  Process target({Target("noprofile")});
  ASSERT_TRUE(target.WaitForStdout("round 1 ok rate 0\n", 30s)) << target.Describe();
  const std::string pid = std::to_string(target.pid());

  Process refused = Goretain({"--pid", pid, "--sample", "--duration", "1"});
  ASSERT_EQ(refused.Wait(60s), 2) << refused.Describe();
  EXPECT_TRUE(IsOneErrorLine(refused.Stderr())) << refused.Stderr();
  EXPECT_NE(refused.Stderr().find("MemProfileRate = 0"), std::string::npos) << refused.Stderr();
  EXPECT_NE(refused.Stderr().find("hint: add --enable-sampling"), std::string::npos);
  EXPECT_EQ(target.Stdout().find("rate 65536"), std::string::npos);  // nothing was written

  Process enabled = Goretain({"--pid", pid, "--sample", "--enable-sampling=65536", "--duration",
                              "1", "--format", "json", "--output", (tmp_ / "r.json").string()});
  ASSERT_EQ(enabled.Wait(60s), 0) << enabled.Describe();
  EXPECT_NE(enabled.Stderr().find("set runtime.MemProfileRate of pid " + pid + " from 0 to 65536"),
            std::string::npos) << enabled.Stderr();
  // The target's own view of the word, and it keeps running correctly.
  ASSERT_TRUE(target.WaitForStdout("ok rate 65536\n", 30s)) << target.Describe();
  EXPECT_TRUE(target.Running());
  EXPECT_EQ(target.Stdout().find("WRONG"), std::string::npos);

  // The runtime samples now: once a GC cycle published them, an attach reads its buckets.
  std::this_thread::sleep_for(1s);
  const fs::path out = tmp_ / "after.json";
  Process after = Goretain({"--pid", pid, "--duration", "0.5", "--format", "json", "--output",
                            out.string()});
  ASSERT_EQ(after.Wait(60s), 0) << after.Describe();
  json report;
  ASSERT_TRUE(OneReport(ReadFile(out), &report));
  ASSERT_TRUE(report["before_attach"].is_object());
  EXPECT_EQ(report["before_attach"]["mem_profile_rate"], 65536);
  EXPECT_EQ(report["before_attach"]["profile_reader_linked"], false);
  EXPECT_GT(report["before_attach"]["buckets"].get<int64_t>(), 0);
  bool round_sampled = false;
  for (const auto& c : report["callsites"]) {
    if (c["function"] == "main.round" && !c["before_attach"].is_null() &&
        c["before_attach"]["samples"]["alloc_objects"].get<int64_t>() > 0) {
      round_sampled = true;
    }
  }
  EXPECT_TRUE(round_sampled) << DescribeCallsites(report);
  EXPECT_TRUE(target.Running());
  target.Kill();
}

TEST_F(EnableSampling, NeedsSample) {
  Process p = Goretain({"--enable-sampling", "--pid", "1"});
  ASSERT_EQ(p.Wait(10s), 2);
  EXPECT_TRUE(IsOneErrorLine(p.Stderr())) << p.Stderr();
}

}  // namespace
}  // namespace e2e
