// Which call-site rows get their own series on /metrics under --metrics-top N, and which are
// summed into one "(other)" series per pid (Prometheus advises against unbounded label sets).
// N = 0: every row gets its own series.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_set>
#include <vector>

#include "userspace/model/report.h"

namespace goretain {

struct SeriesSplit {
  std::vector<const CallsiteRow*> own;     // one series each
  std::vector<const CallsiteRow*> folded;  // summed into "(other)"
};

// The identity of a row's series: its executable, its process and every call-site label.
std::string SeriesKey(const CallsiteRow& c);

// For the counters (goretain_alloc_*_total): the first N rows given a series keep it for the
// whole trace, and later rows are folded. So every counter series, "(other)" included, only
// grows from one scrape to the next (Prometheus takes a decrease for a counter reset): a row
// never moves between its own series and "(other)". Rows are admitted in the report's order
// (leaking first, then by bytes allocated). Not thread-safe.
class StickyCounterSeries {
 public:
  explicit StickyCounterSeries(size_t cap) : cap_(cap) {}
  SeriesSplit Split(const Report& r);

 private:
  size_t cap_;
  std::unordered_set<std::string> kept_;
};

// For the gauges (goretain_retained_*, goretain_leaking), which may go down: the N rows that
// matter now, chosen afresh at each scrape: live processes' rows before exited ones', then
// leaking first, then by retained bytes, then by bytes allocated. `own` comes out in that order.
SeriesSplit SplitGaugeSeries(const Report& r, size_t cap);

}  // namespace goretain
