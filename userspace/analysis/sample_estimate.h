// Unsampling the Go runtime's heap-profile samples, as Go's own pprof does, and the margin of
// sampling error the sampled leak signal demands. Pure functions (unit-tested).
//
// The runtime samples an allocation of `size` bytes with probability 1 - exp(-size/rate)
// (rate = runtime.MemProfileRate, 512 KiB by default): the sampler draws exponential gaps of mean
// `rate` bytes between samples. runtime/pprof's scaleHeapSample undoes it per bucket (one call
// stack and one object size): count and bytes times 1/(1 - exp(-avgsize/rate)); rate <= 1 means
// every allocation was recorded (no scaling).
#pragma once

#include <cstdint>

namespace goretain {

struct SampleEstimate {
  double objects = 0;
  double bytes = 0;
};

// `count` samples of `bytes` bytes in all (objects of one size), unsampled at `rate`.
SampleEstimate UnsampleHeap(uint64_t count, uint64_t bytes, uint64_t rate);

// The noise in a retained-bytes estimate made of `samples` samples whose unsampled weight is
// `bytes_per_sample` each (about `rate` for objects much smaller than it, the object size for
// larger ones): the sample count is Poisson, so its standard deviation is
// sqrt(samples) * bytes_per_sample. A sampled line is called leaking only when its rise exceeds
// kLeakSigmas of them (with at least one sample: a rise from nothing to one sample is noise).
struct SamplingMargin {
  static constexpr double kLeakSigmas = 3;
};
double SamplingNoiseBytes(uint64_t samples, double bytes_per_sample);
bool RiseBeyondSamplingNoise(double rise_bytes, uint64_t samples, double bytes_per_sample);

}  // namespace goretain
