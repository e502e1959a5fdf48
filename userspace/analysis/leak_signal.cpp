#include "userspace/analysis/leak_signal.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace goretain {
namespace {

using Samples = std::span<const RetainedSample>;

// The median bytes and the middle time of samples [from, to) (to > from).
struct Level {
  double bytes = 0;
  double t = 0;
};

Level MedianOf(Samples h, size_t from, size_t to) {
  std::vector<uint64_t> v;
  v.reserve(to - from);
  for (size_t i = from; i < to; i++) v.push_back(h[i].bytes);
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double bytes = (static_cast<double>(v[(n - 1) / 2]) + static_cast<double>(v[n / 2])) / 2;
  const double t = (h[from + (n - 1) / 2].t + h[from + n / 2].t) / 2;
  return Level{bytes, t};
}

// Least-squares slope of bytes over time of samples [from, to); 0 if their times are all equal.
double SlopeOf(Samples h, size_t from, size_t to) {
  if (to - from < 2) return 0;
  double mt = 0, mb = 0;
  for (size_t i = from; i < to; i++) {
    mt += h[i].t;
    mb += static_cast<double>(h[i].bytes);
  }
  const auto n = static_cast<double>(to - from);
  mt /= n;
  mb /= n;
  double num = 0, den = 0;
  for (size_t i = from; i < to; i++) {
    num += (h[i].t - mt) * (static_cast<double>(h[i].bytes) - mb);
    den += (h[i].t - mt) * (h[i].t - mt);
  }
  return den > 0 ? num / den : 0;
}

// The first index in [from, to) whose time is >= t (to if none).
size_t FirstAtOrAfter(Samples h, size_t from, size_t to, double t) {
  while (from < to && h[from].t < t) from++;
  return from;
}

// How much the line's retained bytes scatter from one sample to the next, apart from any trend
// (bytes, a standard deviation): from the differences of successive samples over the whole
// history, less the pace they share (the median of their slopes), as a trimmed mean absolute
// value (robust to the odd step). A window's rise must stand out of it: a few sparse samples of a
// flat but noisy line can happen to climb.
double NoiseOf(Samples h, size_t from) {
  if (h.size() - from < 3) return 0;
  auto step = [&](size_t i) {
    return static_cast<double>(h[i].bytes) - static_cast<double>(h[i - 1].bytes);
  };
  std::vector<double> slopes, residuals;
  for (size_t i = from + 1; i < h.size(); i++) {
    if (h[i].t > h[i - 1].t) slopes.push_back(step(i) / (h[i].t - h[i - 1].t));
  }
  if (slopes.empty()) return 0;
  const auto middle = slopes.begin() + static_cast<std::ptrdiff_t>(slopes.size() / 2);
  std::nth_element(slopes.begin(), middle, slopes.end());
  const double pace = *middle;
  for (size_t i = from + 1; i < h.size(); i++) {
    residuals.push_back(std::abs(step(i) - pace * (h[i].t - h[i - 1].t)));
  }
  // The mean of the smallest 7/8 (the odd step left out): 0.631 sigma for normal noise; a
  // difference of two samples has sqrt(2) sigma.
  std::sort(residuals.begin(), residuals.end());
  const size_t kept = residuals.size() - residuals.size() / 8;
  double sum = 0;
  for (size_t i = 0; i < kept; i++) sum += residuals[i];
  return sum / static_cast<double>(kept) / 0.631 / std::sqrt(2.0);
}

// The stretch of time samples [from, to) stand for: each sample for the mean spacing around it,
// so that sparse samples (one GC cycle every few seconds) never sit right on the edge between
// two thirds or slices, where a millisecond of jitter would move them.
struct Extent {
  double lo = 0, length = 0;
};

Extent ExtentOf(Samples h, size_t from, size_t to) {
  const double span = h[to - 1].t - h[from].t;
  const double spacing = to - from > 1 ? span / static_cast<double>(to - from - 1) : 0;
  return Extent{h[from].t - spacing / 2, span + spacing};
}

// The levels of the thirds (by time) of window [from, to), if it can be judged at all: enough
// samples, a long enough span, a sample in every third.
struct Thirds {
  Level a, b, c;
  size_t a_count = 0, c_from = 0;  // the first third's samples; the last third's first one
  double span = 0;
  double min_rise = 0;  // R
};

std::optional<Thirds> ThirdsOf(Samples h, size_t from, size_t to) {
  if (to - from < LeakSignal::kMinSamples) return std::nullopt;
  const double span = h[to - 1].t - h[from].t;
  if (span < LeakSignal::kMinSpanSeconds) return std::nullopt;
  const Extent e = ExtentOf(h, from, to);
  const size_t b_from = FirstAtOrAfter(h, from, to, e.lo + e.length / 3);
  const size_t c_from = FirstAtOrAfter(h, b_from, to, e.lo + 2 * e.length / 3);
  if (b_from == from || c_from == b_from || c_from == to) return std::nullopt;
  Thirds th{MedianOf(h, from, b_from),
            MedianOf(h, b_from, c_from),
            MedianOf(h, c_from, to),
            b_from - from,
            c_from,
            span,
            0};
  th.min_rise = std::max(LeakSignal::kMinRiseBytes, LeakSignal::kMinRiseFraction * th.a.bytes);
  return th;
}

// The slices rule: the level rises at >= 3/4 of the steps between non-empty slices, and no one
// step holds more than half of the window's rise.
bool ClimbsSteadily(Samples h, size_t from, size_t to, double rise) {
  const size_t slices = std::min(LeakSignal::kSlices, to - from);
  const Extent e = ExtentOf(h, from, to);
  const double width = e.length / static_cast<double>(slices);
  std::vector<double> levels;
  size_t begin = from;
  for (size_t k = 1; k <= slices; k++) {
    const size_t end = k == slices ? to : FirstAtOrAfter(h, begin, to, e.lo + width * k);
    if (end > begin) levels.push_back(MedianOf(h, begin, end).bytes);
    begin = end;
  }
  if (levels.size() < 4) return false;  // three steps at least
  // A step counts as up above a fifth of what a steady climb gives each (noise on a flat
  // stretch does not count).
  size_t ups = 0;
  const size_t steps = levels.size() - 1;
  for (size_t i = 1; i < levels.size(); i++) {
    const double step = levels[i] - levels[i - 1];
    if (step > rise / (4 * static_cast<double>(steps))) ups++;
    if (step > rise / 2) return false;
  }
  return ups * 4 >= steps * 3;
}

// The evidence of window [from, to) if it passes the window rules (leak_signal.h).
std::optional<LeakEvidence> JudgeWindow(Samples h, size_t from, size_t to, double noise) {
  const auto th = ThirdsOf(h, from, to);
  if (!th) return std::nullopt;
  const double rise = th->c.bytes - th->a.bytes;
  if (rise < th->min_rise) return std::nullopt;
  // And four standard deviations of the difference of the two thirds' levels (their medians
  // taken as means, for the noise).
  const double c_count = static_cast<double>(to - th->c_from);
  if (rise < 4 * noise * std::sqrt(1 / static_cast<double>(th->a_count) + 1 / c_count)) {
    return std::nullopt;
  }
  if (th->b.bytes - th->a.bytes < rise / 4) return std::nullopt;
  if (th->c.bytes - th->b.bytes < std::max(th->min_rise / 2, rise / 4)) return std::nullopt;
  if (!ClimbsSteadily(h, from, to, rise)) return std::nullopt;
  const double dt = th->c.t - th->a.t;
  if (dt <= 0) return std::nullopt;
  // Within the last third too, at a quarter of the window's pace at least (a cache that has
  // just filled up: its last third sits on the plateau, above the middle one).
  if (to - th->c_from >= 2 && SlopeOf(h, th->c_from, to) < rise / dt / 4) return std::nullopt;
  return LeakEvidence{rise, th->span, rise / dt};
}

// True if a shorter window [from, to) shows that `leak`'s pace stopped: the pace predicts a
// rise of at least 2 R there, and it rose by less than a quarter of that.
bool Contradicts(Samples h, size_t from, size_t to, const LeakEvidence& leak) {
  const auto th = ThirdsOf(h, from, to);
  if (!th) return false;
  const double expected = leak.rate_bytes_per_s * (th->c.t - th->a.t);
  return expected >= 2 * th->min_rise && th->c.bytes - th->a.bytes < expected / 4;
}

}  // namespace

std::optional<LeakEvidence> JudgeLeak(std::span<const RetainedSample> history) {
  const Samples h = history;
  size_t start = 0;
  while (start < h.size() && h[start].bytes == 0) start++;
  if (h.size() - start < LeakSignal::kMinSamples) return std::nullopt;
  const size_t to = h.size();
  const double last = h[to - 1].t, whole = last - h[start].t;
  // Window starts, shortest window first: kMinSpanSeconds * 2^k back, then the whole history.
  std::vector<size_t> starts;
  for (double span = LeakSignal::kMinSpanSeconds; span < whole; span *= 2) {
    const size_t from = FirstAtOrAfter(h, start, to, last - span);
    if (starts.empty() || starts.back() != from) starts.push_back(from);
  }
  if (starts.empty() || starts.back() != start) starts.push_back(start);
  const double noise = NoiseOf(h, start);
  std::optional<LeakEvidence> best;
  for (size_t w = 0; w < starts.size(); w++) {
    auto passed = JudgeWindow(h, starts[w], to, noise);
    if (!passed) continue;
    bool stopped = false;
    for (size_t s = 0; s < w && !stopped; s++) stopped = Contradicts(h, starts[s], to, *passed);
    if (!stopped) best = passed;  // longer windows come later: the longest wins
  }
  return best;
}

double GrowthBytesPerSecond(std::span<const RetainedSample> history) {
  size_t start = 0;
  while (start < history.size() && history[start].bytes == 0) start++;
  return SlopeOf(history, start, history.size());
}

}  // namespace goretain
