// The leak signal (analysis/leak_signal.h) and the history it reads (analysis/retention_history.h)
// on synthetic series: one retained-bytes sample per GC cycle at 0.1 to 100 cycles/s, judged once
// a second the way interval reports judge it. Steady leaks are flagged within 30 s at every rate
// (60 s at 0.1/s: three samples in 30 s cannot show a trend); flat noisy lines, caches that fill
// and then plateau, and containers regrown now and then are never flagged.
#include "userspace/analysis/leak_signal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "userspace/analysis/retention_history.h"

namespace goretain {
namespace {

constexpr double kKiB = 1024;

struct Series {
  double gc_per_s = 1;
  double seconds = 30;
  std::function<double(double)> level;  // the line's true retained bytes at time t
  double noise = 0;                     // uniform noise of +-noise bytes on every sample
  uint32_t seed = 1;
};

struct Outcome {
  double first_flagged_s = -1;  // first judgement (once a second) that flagged it
  double last_flagged_s = -1;
  std::optional<LeakEvidence> at_end;
};

// Feeds a RetentionHistory one sample per GC cycle (times jittered by +-10% of the interval) and
// judges it after every whole second.
Outcome Simulate(const Series& s) {
  std::mt19937 rng(s.seed);
  std::uniform_real_distribution<double> unit(-1, 1);
  RetentionHistory history;
  Outcome out;
  const double interval = 1 / s.gc_per_s;
  double next_judgement = 1;
  for (double t = interval; t <= s.seconds; t += interval) {
    const double at = t + 0.1 * interval * unit(rng);
    while (next_judgement <= at) {
      const auto samples = history.Samples();
      if (JudgeLeak(samples)) {
        if (out.first_flagged_s < 0) out.first_flagged_s = next_judgement;
        out.last_flagged_s = next_judgement;
      }
      next_judgement += 1;
    }
    const double v = s.level(at) + s.noise * unit(rng);
    history.Add(at, static_cast<uint64_t>(std::max(0.0, v)));
  }
  const auto samples = history.Samples();
  out.at_end = JudgeLeak(samples);
  return out;
}

const std::vector<double> kGcRates = {0.1, 0.2, 1, 7, 50, 100};

// Seconds a steady leak may take to be flagged at this GC rate.
double FlagWithin(double gc_per_s) { return gc_per_s < 0.2 ? 60 : 30; }

TEST(LeakSignal, SteadyLeakOf32KiBPerSecondIsFlaggedAtEveryGcRate) {
  for (double rate : kGcRates) {
    Series s{rate, FlagWithin(rate), [](double t) { return 32 * kKiB * t; }, 8 * kKiB, 7};
    const Outcome o = Simulate(s);
    EXPECT_GT(o.first_flagged_s, 0) << rate << " GC/s: never flagged";
    EXPECT_LE(o.first_flagged_s, FlagWithin(rate)) << rate << " GC/s";
    ASSERT_TRUE(o.at_end) << rate << " GC/s";
    EXPECT_NEAR(o.at_end->rate_bytes_per_s, 32 * kKiB, 8 * kKiB) << rate << " GC/s";
    EXPECT_GE(o.at_end->over_s, LeakSignal::kMinSpanSeconds);
    EXPECT_GE(o.at_end->rise_bytes, LeakSignal::kMinRiseBytes);
  }
}

TEST(LeakSignal, LeakUnderHeavyChurnNoiseIsFlaggedAtHighGcRates) {
  // The session cache of issue 10: ~55 KiB/s on top of in-flight requests that come and go
  // (+-48 KiB from one cycle to the next), at 7 to 100 cycles/s.
  for (double rate : {7.0, 50.0, 100.0}) {
    Series s{rate, 30, [](double t) { return 200 * kKiB + 55 * kKiB * t; }, 48 * kKiB, 3};
    const Outcome o = Simulate(s);
    EXPECT_GT(o.first_flagged_s, 0) << rate << " GC/s: never flagged";
    EXPECT_TRUE(o.at_end) << rate << " GC/s";
  }
}

TEST(LeakSignal, SlowLeakOfOneMiBPerMinuteIsFlagged) {
  for (double rate : {0.2, 2.0, 50.0}) {
    Series s{rate, 120, [](double t) { return 1024 * kKiB * t / 60; }, 16 * kKiB, 11};
    const Outcome o = Simulate(s);
    EXPECT_GT(o.first_flagged_s, 0) << rate << " GC/s";
    EXPECT_LE(o.first_flagged_s, 60) << rate << " GC/s";
    EXPECT_TRUE(o.at_end) << rate << " GC/s";
  }
}

TEST(LeakSignal, FlatNoisyLinesAreNeverFlagged) {
  for (double rate : kGcRates) {
    for (uint32_t seed = 1; seed <= 10; seed++) {
      // 1 MiB held, +-64 KiB from one cycle to the next, for 10 minutes.
      Series s{rate, 600, [](double) { return 1024 * kKiB; }, 64 * kKiB, seed};
      EXPECT_LT(Simulate(s).first_flagged_s, 0) << rate << " GC/s, seed " << seed;
    }
  }
}

TEST(LeakSignal, CacheThatFillsThenPlateausIsNotFlaggedOnItsPlateau) {
  // Filling at 256 KiB/s for 20 s (real growth while it lasts: flagged, or not, then), then
  // bounded at 5 MiB with noise for 100 s: no longer flagged within 20 s of the plateau.
  for (double rate : kGcRates) {
    Series s{rate, 120, [](double t) { return std::min(t, 20.0) * 256 * kKiB; }, 32 * kKiB, 5};
    const Outcome o = Simulate(s);
    EXPECT_LE(o.last_flagged_s, 40) << rate << " GC/s: still flagged on the plateau";
    EXPECT_FALSE(o.at_end) << rate << " GC/s";
  }
}

TEST(LeakSignal, CacheThatFillsFasterThanTheWindowIsNeverFlagged) {
  // A bounded cache that fills in 3 s (less than the 6 s a window needs): never flagged.
  for (double rate : kGcRates) {
    Series s{rate, 300, [](double t) { return std::min(t, 3.0) * 400 * kKiB; }, 16 * kKiB, 9};
    EXPECT_LT(Simulate(s).first_flagged_s, 0) << rate << " GC/s";
  }
}

TEST(LeakSignal, ContainerRegrownNowAndThenIsNeverFlagged) {
  // A 2 MiB buffer dropped every 25 s and regrown by doubling (64 KiB ... 2 MiB, one step per
  // 0.5 s), with noise: a sawtooth, never a trend.
  const auto level = [](double t) {
    const double since = std::fmod(t, 25.0);
    const double steps = std::min(5.0, std::floor(since / 0.5));
    return 64 * kKiB * std::pow(2.0, steps);
  };
  for (double rate : kGcRates) {
    Series s{rate, 600, level, 16 * kKiB, 13};
    EXPECT_LT(Simulate(s).first_flagged_s, 0) << rate << " GC/s";
  }
}

TEST(LeakSignal, ContainerThatStepsUpNowAndThenIsNotFlaggedOnceItStops) {
  // An index that doubles its table three times (256 KiB -> 2 MiB) at 10, 40 and 100 s, then
  // stays. Steps at growing intervals are what a table doubling under steady inserts looks like,
  // so it may be flagged while it still steps up; not a minute after its last step.
  const auto level = [](double t) {
    return 256 * kKiB * (t < 10 ? 1 : t < 40 ? 2 : t < 100 ? 4 : 8);
  };
  for (double rate : kGcRates) {
    Series s{rate, 400, level, 8 * kKiB, 17};
    const Outcome o = Simulate(s);
    EXPECT_LE(o.last_flagged_s, 160) << rate << " GC/s";
    EXPECT_FALSE(o.at_end) << rate << " GC/s";
  }
  // One step: never.
  for (double rate : kGcRates) {
    Series s{rate, 200, [](double t) { return 512 * kKiB * (t < 30 ? 1 : 2); }, 8 * kKiB, 29};
    EXPECT_LT(Simulate(s).first_flagged_s, 0) << rate << " GC/s";
  }
}

TEST(LeakSignal, LeakThatStopsIsNoLongerFlagged) {
  // 64 KiB/s for 5 minutes, then nothing more for 5 minutes.
  for (double rate : {0.2, 1.0, 50.0}) {
    Series s{rate, 600, [](double t) { return std::min(t, 300.0) * 64 * kKiB; }, 16 * kKiB, 19};
    const Outcome o = Simulate(s);
    EXPECT_GT(o.first_flagged_s, 0) << rate << " GC/s";
    EXPECT_LE(o.last_flagged_s, 420) << rate << " GC/s";
    EXPECT_FALSE(o.at_end) << rate << " GC/s";
  }
}

TEST(LeakSignal, LeakStartingAfterAnHourIsFlaggedWithinMinutes) {
  // Flat for an hour (the history has merged its old buckets), then 64 KiB/s.
  Series s{2, 3900, [](double t) { return 1024 * kKiB + std::max(0.0, t - 3600) * 64 * kKiB; },
           16 * kKiB, 23};
  const Outcome o = Simulate(s);
  EXPECT_GT(o.first_flagged_s, 3600);
  EXPECT_LE(o.first_flagged_s, 3660);
}

TEST(RetentionHistory, BoundedAndSpansTheWholeTrace) {
  RetentionHistory h;
  // Four hours at 100 cycles/s.
  for (int i = 1; i <= 4 * 3600 * 100; i++) h.Add(i / 100.0, static_cast<uint64_t>(i));
  const auto samples = h.Samples();
  ASSERT_LE(samples.size(), RetentionHistory::kMaxBuckets);
  EXPECT_GE(samples.size(), RetentionHistory::kMaxBuckets / 2);
  // The oldest bucket starts at the beginning; it keeps its last sample, from the first 15%.
  EXPECT_LT(samples.front().t, 4 * 3600 * 0.15);
  EXPECT_DOUBLE_EQ(samples.back().t, 4 * 3600);
  // Oldest first, the recent past finer than the distant one: gaps never grow toward now.
  for (size_t i = 1; i < samples.size(); i++) EXPECT_LT(samples[i - 1].t, samples[i].t);
  for (size_t i = 2; i < samples.size(); i++) {
    EXPECT_LE(samples[i].t - samples[i - 1].t, samples[i - 1].t - samples[i - 2].t + 1e-6) << i;
  }
  EXPECT_LE(samples[samples.size() - 2].t - samples[samples.size() - 3].t, 0.25 + 1e-6);
  // The last minute keeps at least a dozen samples.
  EXPECT_GE(std::count_if(samples.begin(), samples.end(),
                          [](const RetainedSample& x) { return x.t >= 4 * 3600 - 60; }),
            12);
}

TEST(RetentionHistory, ABucketKeepsItsLastSample) {
  RetentionHistory h;
  h.Add(0.01, 5);
  h.Add(0.02, 7);
  h.Add(0.30, 9);
  const auto samples = h.Samples();
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].bytes, 7u);
  EXPECT_EQ(samples[1].bytes, 9u);
}

}  // namespace
}  // namespace goretain
