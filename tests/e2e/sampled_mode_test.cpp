// --sample's edges: a Go release whose runtime layout goretain does not know is refused with one
// error line and exit code 2, never guessed at; a --pid target that exits while goretain reads
// its samples leaves a final report (mode "sampled", its samples) and exit code 0.
#include <fstream>

#include "harness.h"

namespace e2e {
namespace {

class SampledMode : public E2ETest {};

TEST_F(SampledMode, UnknownGoReleaseIsRefused) {
  const std::string fake = "go1.29.8";
  const fs::path exe = tmp_ / "sampled-go1.29";
  fs::copy_file(Target("sampled"), exe);
  ASSERT_NO_FATAL_FAILURE(PatchGoVersion(exe, "go1.19.8", fake));
  Process gr = Goretain({"--sample", "--", exe.string()});
  ASSERT_EQ(gr.Wait(15s), 2) << gr.Describe();
  EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
  EXPECT_NE(gr.Stderr().find(fake), std::string::npos) << "the error names the release\n"
                                                       << gr.Describe();
  EXPECT_EQ(gr.Stdout(), "") << "no report, and the refused command never ran";
}

TEST_F(SampledMode, TargetExitingMidReadLeavesAFinalReport) {
  Traced t;
  json report;
  ASSERT_TRUE(TraceToEnd({Target("sampled"), "-scale", "2"}, {"--sample"}, &t, &report, 60s));
  EXPECT_EQ(report["mode"], "sampled");
  EXPECT_EQ(report["sample_rate"], 512 * 1024) << "read from the live process";
  // The sampler's three probes (mProf_Malloc, freeSpecial, gcMarkTermination), none of the exact
  // mode's allocation probes.
  EXPECT_NE(t.goretain.Stderr().find(": 3 probes attached"), std::string::npos)
      << t.goretain.Stderr();
  int64_t samples = 0;
  for (const auto& c : report["callsites"]) {
    EXPECT_NE(c["kind"], "other") << "other kinds only with --kinds all";
    if (c.contains("samples")) samples += c["samples"]["alloc_objects"].get<int64_t>();  // traced
  }
  EXPECT_GT(samples, 100) << DescribeCallsites(report, 20);
}

TEST_F(SampledMode, KindsAllNeedsSample) {
  Process gr = Goretain({"--kinds", "all", "--", Target("sampled")});
  ASSERT_EQ(gr.Wait(15s), 2) << gr.Describe();
  EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
}

}  // namespace
}  // namespace e2e
