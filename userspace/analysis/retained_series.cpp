#include "userspace/analysis/retained_series.h"

namespace goretain {
namespace {

// Every `stride`-th point, by even spacing over the indices, first and last included.
std::vector<RetainedPoint> Thin(const std::vector<RetainedPoint>& in, size_t max_points) {
  if (in.size() <= max_points || max_points < 2) return in;
  std::vector<RetainedPoint> out;
  out.reserve(max_points);
  const size_t last = in.size() - 1;
  for (size_t i = 0; i < max_points; i++) out.push_back(in[i * last / (max_points - 1)]);
  return out;
}

}  // namespace

std::vector<RetainedPoint> AddRetainedSeries(const std::vector<RetainedPoint>& series,
                                             std::span<const RetainedSample> part,
                                             size_t max_points) {
  std::vector<RetainedPoint> out;
  out.reserve(series.size() + part.size());
  size_t a = 0, b = 0;
  uint64_t a_now = 0, b_now = 0;  // each one's value as of the current time
  while (a < series.size() || b < part.size()) {
    const bool take_a = b == part.size() || (a < series.size() && series[a].t_s <= part[b].t);
    const bool take_b = a == series.size() || (b < part.size() && part[b].t <= series[a].t_s);
    const double t = take_a ? series[a].t_s : part[b].t;
    if (take_a) a_now = series[a++].bytes;
    if (take_b) b_now = part[b++].bytes;
    out.push_back(RetainedPoint{t, a_now + b_now});
  }
  return Thin(out, max_points);
}

}  // namespace goretain
