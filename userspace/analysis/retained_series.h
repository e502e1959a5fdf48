// A report row's retained-bytes series (CallsiteRow::retained_history), built from the
// RetentionHistory of each of its parts: one row can merge several PCs of one source line, each
// with its own history, so the row's series is their sum over time.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "userspace/analysis/retention_history.h"
#include "userspace/model/report.h"

namespace goretain {

// `series` plus `part`, both read as step functions (a value holds until the next point; before
// its first point a series is 0): one point per distinct time of either, then thinned evenly to
// at most `max_points` (the first and last points always kept).
std::vector<RetainedPoint> AddRetainedSeries(const std::vector<RetainedPoint>& series,
                                             std::span<const RetainedSample> part,
                                             size_t max_points);

}  // namespace goretain
