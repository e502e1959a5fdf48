#include "userspace/tui/top_model.h"

#include <algorithm>
#include <tuple>

namespace goretain::tui {

const char* SortName(SortKey key) {
  switch (key) {
    case SortKey::kRetained: return "retained";
    case SortKey::kGrowth: return "growth";
    case SortKey::kAllocBytes: return "alloc";
  }
  return "retained";
}

SortKey NextSort(SortKey key) {
  switch (key) {
    case SortKey::kRetained: return SortKey::kGrowth;
    case SortKey::kGrowth: return SortKey::kAllocBytes;
    case SortKey::kAllocBytes: return SortKey::kRetained;
  }
  return SortKey::kRetained;
}

std::optional<Kind> NextKindFilter(std::optional<Kind> kind) {
  if (!kind) return Kind::kMapMake;
  switch (*kind) {
    case Kind::kMapMake: return Kind::kMapGrow;
    case Kind::kMapGrow: return Kind::kSliceGrow;
    case Kind::kSliceGrow: return Kind::kSliceMake;
    case Kind::kSliceMake: return std::nullopt;
  }
  return std::nullopt;
}

std::string KindFilterName(std::optional<Kind> kind) { return kind ? KindName(*kind) : "all"; }

namespace {

// The sort figure of a row; nullopt sorts last.
std::optional<double> SortFigure(const CallsiteRow& row, SortKey key) {
  switch (key) {
    case SortKey::kRetained:
      if (!row.retained_bytes) return std::nullopt;
      return static_cast<double>(*row.retained_bytes);
    case SortKey::kGrowth: return row.retained_growth_bytes_per_s;
    case SortKey::kAllocBytes: return static_cast<double>(row.alloc_bytes);
  }
  return std::nullopt;
}

bool Before(const CallsiteRow* a, const CallsiteRow* b, SortKey key) {
  const std::optional<double> fa = SortFigure(*a, key), fb = SortFigure(*b, key);
  if (fa.has_value() != fb.has_value()) return fa.has_value();
  if (fa && *fa != *fb) return *fa > *fb;
  if (a->alloc_bytes != b->alloc_bytes) return a->alloc_bytes > b->alloc_bytes;
  return std::tie(a->site.function, a->site.line, a->kind) <
         std::tie(b->site.function, b->site.line, b->kind);
}

}  // namespace

std::vector<const CallsiteRow*> SelectRows(const Report& report, const ViewState& state) {
  std::vector<const CallsiteRow*> rows;
  for (const CallsiteRow& row : report.callsites) {
    if (state.kind && row.kind != *state.kind) continue;
    if (state.leaks_only && !row.leaking) continue;
    rows.push_back(&row);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const CallsiteRow* a, const CallsiteRow* b) { return Before(a, b, state.sort); });
  return rows;
}

std::optional<uint64_t> RetainedTotal(const Report& report) {
  std::optional<uint64_t> total;
  for (const CallsiteRow& row : report.callsites) {
    if (row.retained_bytes) total = total.value_or(0) + *row.retained_bytes;
  }
  return total;
}

void LiveHistory::Observe(const Report& report) {
  if (last_elapsed_s_ && report.elapsed_s <= *last_elapsed_s_) return;  // seen, or older
  if (last_elapsed_s_) {
    const double dt = report.elapsed_s - *last_elapsed_s_;
    const uint64_t de = report.events_received >= last_events_ ? report.events_received - last_events_ : 0;
    events_per_s_ = static_cast<double>(de) / dt;
  }
  last_elapsed_s_ = report.elapsed_s;
  last_events_ = report.events_received;
  if (const auto total = RetainedTotal(report)) {
    if (totals_.size() == capacity_ && capacity_ >= 2) {
      // Merge neighbours pairwise, keeping the later of each pair: half the samples, same span.
      std::vector<uint64_t> merged;
      for (size_t i = 1; i < totals_.size(); i += 2) merged.push_back(totals_[i]);
      totals_ = std::move(merged);
    }
    totals_.push_back(*total);
  }
}

std::string Sparkline(const std::vector<uint64_t>& values, size_t width, bool unicode) {
  static const char* const kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  static const char kAscii[] = "_.-=+*#@";
  const size_t n = std::min(values.size(), width);
  if (n == 0) return "";
  const auto first = values.end() - static_cast<std::ptrdiff_t>(n);
  const auto [lo, hi] = std::minmax_element(first, values.end());
  std::string line;
  for (auto it = first; it != values.end(); ++it) {
    size_t level = 0;
    if (*hi > *lo) {
      level = static_cast<size_t>(static_cast<double>(*it - *lo) * 7.0 /
                                      static_cast<double>(*hi - *lo) + 0.5);
    }
    if (unicode) {
      line += kBlocks[level];
    } else {
      line += kAscii[level];
    }
  }
  return line;
}

}  // namespace goretain::tui
