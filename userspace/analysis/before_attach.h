// What a target retained before goretain attached: its runtime's heap profile buckets (read at
// attach by process/profile_buckets) turned into per-call-site figures, and put beside the traced
// rows without ever being added into them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "symbols/go_binary.h"
#include "userspace/model/report.h"
#include "userspace/process/profile_buckets.h"

namespace goretain {

// runtime/pprof's scaleHeapSample: `count` sampled objects of `bytes` in all, at sampling rate
// `rate`, stand for count·s objects and bytes·s bytes, s = 1/(1-exp(-avgsize/rate)); rate ≤ 1
// means every allocation was recorded (s = 1); nothing sampled gives 0.
struct Unsampled {
  double objects = 0, bytes = 0;
};
Unsampled ScaleHeapSample(uint64_t count, uint64_t bytes, int64_t rate);

// The kind of a bucket's allocation from the runtime frames its stack passes through before the
// call site, innermost first: map growth, map make, slice growth, slice make, else kOther (also
// the collector's own allocations made while that call site's allocation started a GC cycle).
Kind KindFromRuntimeFrames(const std::vector<std::string_view>& runtime_functions);

// One row per (kind, call site), the call site being the innermost frame outside the runtime
// (the aggregator's rule); only `before_attach`, `kind`, `site` and `exe` are set. As the runtime
// does when writing a profile: if no bucket has published figures yet (no GC cycle completed),
// the unpublished ones are used. Rows by before-attach in-use bytes, descending.
std::vector<CallsiteRow> BeforeAttachRows(const symbols::GoBinary& binary, const std::string& exe,
                                          const ProfileSnapshot& snapshot);

// Puts each before-attach row's figures on the traced row of the same kind and site (the
// largest, if several types), else appends the row (no traced figures). Traced figures are
// never changed.
void MergeBeforeAttach(std::vector<CallsiteRow>& rows, const std::vector<CallsiteRow>& before);

}  // namespace goretain
