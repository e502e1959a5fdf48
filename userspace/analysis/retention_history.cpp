#include "userspace/analysis/retention_history.h"

#include <cmath>

namespace goretain {

void RetentionHistory::Add(double t_s, uint64_t bytes) {
  const RetainedSample s{t_s, bytes};
  // Exactly the bound: a vector left to double would hold 128 buckets' room per call site (4 KiB;
  // 40 MiB at 10,000 sites).
  if (buckets_.capacity() == 0) buckets_.reserve(kMaxBuckets + 1);
  if (!buckets_.empty()) {
    Bucket& newest = buckets_.back();
    if (newest.level == 0 && t_s < newest.start + kBaseWidthSeconds) {
      newest.last = s;  // the last sample of a bucket stands for it
      return;
    }
  }
  // Base buckets are aligned on multiples of their width, so merged pairs stay contiguous.
  buckets_.push_back(Bucket{std::floor(t_s / kBaseWidthSeconds) * kBaseWidthSeconds, s, 0});
  while (buckets_.size() > kMaxBuckets) MergeOnce();
}

void RetentionHistory::MergeOnce() {
  // Buckets are grouped by level, coarsest (oldest) first: count each level's run.
  size_t best_begin = 0, best_count = 0;
  for (size_t i = 0; i < buckets_.size();) {
    size_t j = i;
    while (j < buckets_.size() && buckets_[j].level == buckets_[i].level) j++;
    // Ties go to the finer level (later run): recent detail is cheaper to give up twice over
    // than the only samples of an old stretch of time.
    if (j - i >= 2 && j - i >= best_count) {
      best_begin = i;
      best_count = j - i;
    }
    i = j;
  }
  if (best_count < 2) {  // cannot happen with kMaxBuckets levels' worth of time; stay bounded
    best_begin = 0;
  }
  Bucket& older = buckets_[best_begin];
  const Bucket& newer = buckets_[best_begin + 1];
  older.last = newer.last;
  older.level++;
  buckets_.erase(buckets_.begin() + static_cast<std::ptrdiff_t>(best_begin) + 1);
}

std::vector<RetainedSample> RetentionHistory::Samples() const {
  std::vector<RetainedSample> out;
  out.reserve(buckets_.size());
  for (const Bucket& b : buckets_) out.push_back(b.last);
  return out;
}

}  // namespace goretain
