// RetentionHistory: one call site's retained bytes over time, kept by time rather than by check,
// in bounded memory, so the leak signal (leak_signal.h) sees the same span of time whether the
// program collects garbage once a minute or a hundred times a second.
//
// Time is cut into buckets; a bucket keeps the last sample (time, retained bytes) that fell in
// it. New samples land in buckets kBaseWidthSeconds wide. When there are more than kMaxBuckets,
// the two oldest buckets of the most populous width merge into one of twice that width (keeping
// the later sample). Widths therefore grow with age: the recent past stays fine-grained, and a
// trace of hours keeps a history that spans all of it in at most kMaxBuckets buckets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace goretain {

// One retained-bytes sample: `t` in seconds since tracing began.
struct RetainedSample {
  double t = 0;
  uint64_t bytes = 0;
};

class RetentionHistory {
 public:
  static constexpr size_t kMaxBuckets = 64;
  static constexpr double kBaseWidthSeconds = 0.25;

  // Records retained bytes at time `t_s` (non-decreasing from call to call).
  void Add(double t_s, uint64_t bytes);
  // One sample per bucket, oldest first.
  std::vector<RetainedSample> Samples() const;
  size_t size() const { return buckets_.size(); }
  bool empty() const { return buckets_.empty(); }

 private:
  struct Bucket {
    double start;         // where the bucket begins (seconds)
    RetainedSample last;  // the latest sample that fell in it
    uint32_t level;       // width = kBaseWidthSeconds << level
  };
  // Merges the two oldest buckets of the level that has the most (at least two).
  void MergeOnce();

  std::vector<Bucket> buckets_;  // oldest first; levels never increase from old to new
};

}  // namespace goretain
