// MetricsText: a report as Prometheus' text exposition format (0.0.4) for /metrics, built with
// prometheus-cpp's core: its MetricFamily values, written by its TextSerializer.
//
// Families (README "HTTP endpoint" lists them with their meaning):
//   goretain_alloc_bytes_total, goretain_alloc_objects_total        counters, per call site
//   goretain_retained_bytes, goretain_retained_objects              gauges, per call site
//   goretain_leaking                                                0/1 gauge, per call site
//   goretain_callsites_folded{series="alloc"|"retained"}            rows summed into "(other)"
//   goretain_events_total, goretain_events_dropped_total, goretain_gc_cycles_total
//   goretain_target_info{pid,exe,go_version,build_id}, goretain_build_info{version}  (value 1)
// Call-site labels: pid, kind, function, file, line, type. At most `top` call sites get their own
// series (0: all); the rest are summed per pid into function="(other)" (callsite_series.h says
// how counters stay monotonic across scrapes).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>

#include "userspace/http/callsite_series.h"
#include "userspace/model/report.h"

namespace goretain {

struct MetricsOptions {
  size_t top = 50;      // --metrics-top
  std::string version;  // goretain's, for goretain_build_info
};

// Content-Type of what Render returns.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

class MetricsText {
 public:
  explicit MetricsText(MetricsOptions options)
      : options_(std::move(options)), counters_(options_.top) {}

  // The exposition of `r`. Thread-safe; remembers which rows have counter series.
  std::string Render(const Report& r);
  // The exposition of `r` with every call site its own series (no "(other)"), for a report cut
  // to one pod (/metrics?pod=NS/NAME): a pod's call sites are few, and its counter series then
  // never move between a row's own and "(other)" from one scrape to the next. Leaves Render's
  // remembered series alone. Thread-safe.
  std::string RenderEverySite(const Report& r) const;

 private:
  std::string Serialize(const Report& r, const SeriesSplit& alloc,
                        const SeriesSplit& retained) const;

  MetricsOptions options_;
  std::mutex mu_;
  StickyCounterSeries counters_;
};

}  // namespace goretain
