// The live view's model (`goretain top`), without a terminal: which rows to show in which order,
// and the figures that need more than one report (events/s, the retained total over time, its
// sparkline). top_text turns them into lines, top_screen draws those with ncurses; this file and
// top_text are pure and unit-tested (tests/unit/top_model_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "userspace/model/report.h"

namespace goretain::tui {

enum class SortKey { kRetained, kGrowth, kAllocBytes };

// What the user chose with the keys.
struct ViewState {
  SortKey sort = SortKey::kRetained;
  std::optional<Kind> kind;  // nullopt: every kind
  bool leaks_only = false;
};

const char* SortName(SortKey key);  // "retained" | "growth" | "alloc"
// retained -> growth -> alloc -> retained.
SortKey NextSort(SortKey key);
// all -> map.make -> map.grow -> slice.grow -> slice.make -> all.
std::optional<Kind> NextKindFilter(std::optional<Kind> kind);
std::string KindFilterName(std::optional<Kind> kind);  // "all" or the kind's name

// The report's rows that pass the filters, best first by the sort key (a row without the figure,
// e.g. no retained bytes yet, sorts after every row that has it; ties by alloc bytes, then by
// function and line, so the order is stable from one second to the next).
std::vector<const CallsiteRow*> SelectRows(const Report& report, const ViewState& state);

// Sum of the rows' retained bytes (rows without the figure count 0); nullopt if no row has one.
std::optional<uint64_t> RetainedTotal(const Report& report);

// The figures that compare successive reports: events per second between the last two, and the
// retained total over the whole run, one sample per report, at most `capacity` samples (when
// full, neighbouring samples merge pairwise, keeping the later, so the history spans the run).
class LiveHistory {
 public:
  explicit LiveHistory(size_t capacity = 512) : capacity_(capacity) {}
  // Feed each new report once (reports older than the last one seen are ignored).
  void Observe(const Report& report);
  std::optional<double> events_per_s() const { return events_per_s_; }
  const std::vector<uint64_t>& retained_totals() const { return totals_; }

 private:
  size_t capacity_;
  std::optional<double> last_elapsed_s_;
  uint64_t last_events_ = 0;
  std::optional<double> events_per_s_;
  std::vector<uint64_t> totals_;
};

// The last `width` values as a sparkline, scaled between their minimum and maximum: the eight
// Unicode blocks ▁..█ (UTF-8), or with `unicode` false the ASCII levels "_.-=+*#@". A flat series
// is drawn at the lowest level. Fewer values than `width` give a shorter line.
std::string Sparkline(const std::vector<uint64_t>& values, size_t width, bool unicode);

}  // namespace goretain::tui
