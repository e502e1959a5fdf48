// Unsampling heap-profile samples as runtime/pprof's scaleHeapSample does, and the sampled leak
// signal's margin of sampling error (userspace/analysis/sample_estimate.h).
#include "userspace/analysis/sample_estimate.h"

#include <gtest/gtest.h>

#include <cmath>

namespace goretain {
namespace {

TEST(UnsampleHeap, ScalesCountAndBytesByTheSamplingProbability) {
  // 10 samples of 4 KiB objects at 512 KiB: each stands for 1/(1-exp(-4096/524288)) objects.
  const double scale = 1 / (1 - std::exp(-4096.0 / 524288));
  const SampleEstimate e = UnsampleHeap(10, 10 * 4096, 512 * 1024);
  EXPECT_DOUBLE_EQ(e.objects, 10 * scale);
  EXPECT_DOUBLE_EQ(e.bytes, 10 * 4096 * scale);
  EXPECT_NEAR(e.objects, 1285.0, 1.0);  // about rate / size + 1/2 objects per sample
}

TEST(UnsampleHeap, ObjectsLargerThanTheRateAreNearlyAlwaysSampled) {
  const SampleEstimate e = UnsampleHeap(3, 3 * (8u << 20), 512 * 1024);
  EXPECT_NEAR(e.objects, 3.0, 1e-6);
}

TEST(UnsampleHeap, RateOneRecordsEveryAllocationAndNothingScalesNothing) {
  EXPECT_DOUBLE_EQ(UnsampleHeap(7, 700, 1).objects, 7);
  EXPECT_DOUBLE_EQ(UnsampleHeap(7, 700, 0).bytes, 700);
  EXPECT_DOUBLE_EQ(UnsampleHeap(0, 0, 512 * 1024).objects, 0);
}

TEST(SamplingMargin, ARiseWithinThreeSigmaOfPoissonNoiseIsNotALeak) {
  const double per_sample = 512 * 1024;
  // 100 samples: sigma = 10 samples' worth; 3 sigma = 30 samples.
  EXPECT_DOUBLE_EQ(SamplingNoiseBytes(100, per_sample), 10 * per_sample);
  EXPECT_FALSE(RiseBeyondSamplingNoise(25 * per_sample, 100, per_sample));
  EXPECT_TRUE(RiseBeyondSamplingNoise(31 * per_sample, 100, per_sample));
  // One sample appearing is never enough.
  EXPECT_FALSE(RiseBeyondSamplingNoise(1 * per_sample, 1, per_sample));
}

}  // namespace
}  // namespace goretain
