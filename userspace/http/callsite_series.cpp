#include "userspace/http/callsite_series.h"

#include <algorithm>
#include <tuple>

namespace goretain {

std::string SeriesKey(const CallsiteRow& c) {
  std::string key;
  key.reserve(c.exe.size() + c.site.function.size() + c.site.file.size() + c.type.size() + 24);
  key.append(c.exe).push_back('\0');
  key.append(std::to_string(c.pid)).push_back('\0');  // rows are per process
  key.append(KindName(c.kind)).push_back('\0');
  key.append(c.site.function).push_back('\0');
  key.append(c.site.file).push_back('\0');
  key.append(std::to_string(c.site.line)).push_back('\0');
  key.append(c.type);
  return key;
}

SeriesSplit StickyCounterSeries::Split(const Report& r) {
  SeriesSplit split;
  split.own.reserve(cap_ == 0 ? r.callsites.size() : std::min(cap_, r.callsites.size()));
  for (const CallsiteRow& c : r.callsites) {
    if (cap_ == 0) {
      split.own.push_back(&c);
      continue;
    }
    std::string key = SeriesKey(c);
    const bool kept = kept_.contains(key) || (kept_.size() < cap_ && kept_.insert(key).second);
    (kept ? split.own : split.folded).push_back(&c);
  }
  return split;
}

SeriesSplit SplitGaugeSeries(const Report& r, size_t cap) {
  std::vector<const CallsiteRow*> rows;
  rows.reserve(r.callsites.size());
  for (const CallsiteRow& c : r.callsites) rows.push_back(&c);
  // Live processes' rows before exited ones' (frozen figures of memory no longer held).
  auto rank = [](const CallsiteRow* c) {
    return std::make_tuple(!c->exited, c->leaking, c->retained_bytes.value_or(0), c->alloc_bytes);
  };
  auto before = [&](const CallsiteRow* a, const CallsiteRow* b) { return rank(a) > rank(b); };
  const size_t own = cap == 0 ? rows.size() : std::min(cap, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(own), rows.end(),
                    before);
  SeriesSplit split;
  split.own.assign(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(own));
  split.folded.assign(rows.begin() + static_cast<std::ptrdiff_t>(own), rows.end());
  return split;
}

}  // namespace goretain
