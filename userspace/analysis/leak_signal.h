// The leak signal: does a call site's retained bytes keep rising, beyond noise, now? A pure
// function of its history (RetentionHistory: one sample per time bucket, oldest first), judged
// by time and never by the number of samples, so it means the same at 0.1 and 100 GC cycles/s.
//
// The history is judged in windows that end at its last sample and reach kMinSpanSeconds,
// twice that, four times that, ... back, and the whole history (each from its first non-zero
// sample at the earliest: cycles before the line held anything old enough to judge say nothing).
// A window needs >= kMinSamples samples over >= kMinSpanSeconds. Split into thirds by time,
// with the median of each third as its level (a, b, c):
//   - rise = c - a >= R = max(64 KiB, 10% of a), and >= 4 standard deviations of c - a given
//     the line's noise (the scatter of successive samples about their common pace, over the
//     whole history): a few sparse samples of a flat, noisy line can happen to climb;
//   - b - a >= rise/4, c - b >= max(R/2, rise/4), and the least-squares slope within the last
//     third is at least a quarter of the window's pace: rising in its early part and still rising
//     in its later part (a cache that filled up and then stays flat is not a leak, however steep
//     its start);
//   - split into up to kSlices equal slices by time (medians again): the level goes up from one
//     non-empty slice to the next (by more than rise / (4 * steps)) at >= 3/4 of the steps, and
//     no single step holds more than half of the rise (a container replaced or regrown now and
//     then moves in a few steps and then sits still; a leak climbs all the time);
//   - not contradicted by a shorter window: where the pace of the window predicts a rise of at
//     least 2 R, the shorter window must show a quarter of it (a leak that stopped is not one).
// The signal is the longest window that passes.
#pragma once

#include <optional>
#include <span>

#include "userspace/analysis/retention_history.h"

namespace goretain {

// Why a line was judged leaking: over its window of `over_s` seconds, the level of the last
// third exceeds that of the first by `rise_bytes`, at `rate_bytes_per_s` (rise_bytes over the
// time between the two thirds' middles).
struct LeakEvidence {
  double rise_bytes = 0;
  double over_s = 0;
  double rate_bytes_per_s = 0;
};

struct LeakSignal {
  static constexpr size_t kMinSamples = 4;
  static constexpr double kMinSpanSeconds = 6;
  static constexpr double kMinRiseBytes = 64 * 1024;
  static constexpr double kMinRiseFraction = 0.10;
  static constexpr size_t kSlices = 6;
};

// The leak judgement of `history` (oldest first, times non-decreasing), or nullopt.
std::optional<LeakEvidence> JudgeLeak(std::span<const RetainedSample> history);

// Least-squares slope of retained bytes over `history` from its first non-zero sample (bytes/s);
// 0 with fewer than two such samples.
double GrowthBytesPerSecond(std::span<const RetainedSample> history);

}  // namespace goretain
