#include "userspace/analysis/sample_estimate.h"

#include <algorithm>
#include <cmath>

namespace goretain {

SampleEstimate UnsampleHeap(uint64_t count, uint64_t bytes, uint64_t rate) {
  if (count == 0 || bytes == 0) return {};
  const double n = static_cast<double>(count), b = static_cast<double>(bytes);
  if (rate <= 1) return {n, b};
  const double avg = b / n;
  const double scale = 1 / (1 - std::exp(-avg / static_cast<double>(rate)));
  return {n * scale, b * scale};
}

double SamplingNoiseBytes(uint64_t samples, double bytes_per_sample) {
  return std::sqrt(static_cast<double>(std::max<uint64_t>(samples, 1))) * bytes_per_sample;
}

bool RiseBeyondSamplingNoise(double rise_bytes, uint64_t samples, double bytes_per_sample) {
  return rise_bytes > SamplingMargin::kLeakSigmas * SamplingNoiseBytes(samples, bytes_per_sample);
}

}  // namespace goretain
