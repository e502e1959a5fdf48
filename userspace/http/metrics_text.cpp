#include "userspace/http/metrics_text.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>

namespace goretain {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Labels;

// The pid of the target a row belongs to (rows name their executable), "" if none matches.
class PidOfRow {
 public:
  explicit PidOfRow(const Report& r) {
    for (const ReportTarget& t : r.targets) pids_.try_emplace(t.exe, std::to_string(t.pid));
  }
  const std::string& operator()(const CallsiteRow& c) const {
    static const std::string kNone;
    auto it = pids_.find(c.exe);
    return it == pids_.end() ? kNone : it->second;
  }

 private:
  std::map<std::string, std::string> pids_;
};

Labels SiteLabels(const std::string& pid, const CallsiteRow& c) {
  return {{"pid", pid},
          {"kind", KindName(c.kind)},
          {"function", c.site.function},
          {"file", c.site.file},
          {"line", std::to_string(c.site.line)},
          {"type", c.type}};
}

// A folded pid's "(other)" series: the call-site labels present (Prometheus and PromQL treat an
// empty value as an absent label), kind/file/line/type empty.
Labels OtherLabels(const std::string& pid) {
  return {{"pid", pid}, {"kind", ""}, {"function", "(other)"}, {"file", ""}, {"line", ""},
          {"type", ""}};
}

Family<Counter>& CounterFamily(prometheus::Registry& reg, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(reg);
}
Family<Gauge>& GaugeFamily(prometheus::Registry& reg, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(reg);
}

// Counters per call site: bytes and heap objects allocated (the JSON's alloc_bytes and
// heap_objects; pprof's alloc_space and alloc_objects).
void AddAllocSeries(prometheus::Registry& reg, const SeriesSplit& split, const PidOfRow& pid) {
  auto& bytes = CounterFamily(reg, "goretain_alloc_bytes_total",
                              "Bytes allocated at a call site since tracing began.");
  auto& objects = CounterFamily(reg, "goretain_alloc_objects_total",
                                "Heap objects allocated at a call site since tracing began.");
  for (const CallsiteRow* c : split.own) {
    const Labels labels = SiteLabels(pid(*c), *c);
    bytes.Add(labels).Increment(static_cast<double>(c->alloc_bytes));
    objects.Add(labels).Increment(static_cast<double>(c->heap_objects));
  }
  for (const CallsiteRow* c : split.folded) {  // Add returns the pid's one "(other)" series
    const Labels labels = OtherLabels(pid(*c));
    bytes.Add(labels).Increment(static_cast<double>(c->alloc_bytes));
    objects.Add(labels).Increment(static_cast<double>(c->heap_objects));
  }
}

// Gauges per call site: what its allocations still hold after the last checked GC (rows with no
// figure yet have no retained series), and whether it leaks ("(other)": 1 if any folded row does).
void AddRetainedSeries(prometheus::Registry& reg, const SeriesSplit& split, const PidOfRow& pid) {
  auto& bytes = GaugeFamily(reg, "goretain_retained_bytes",
                            "Bytes allocated at a call site still live after the last checked GC.");
  auto& objects = GaugeFamily(reg, "goretain_retained_objects",
                              "Heap objects allocated at a call site still live after the last "
                              "checked GC.");
  auto& leaking = GaugeFamily(reg, "goretain_leaking",
                              "1 if the call site's retained bytes keep rising (a leak), else 0.");
  auto add = [&](const Labels& labels, const CallsiteRow& c) {
    if (c.retained_bytes) bytes.Add(labels).Increment(static_cast<double>(*c.retained_bytes));
    if (c.retained_objects) {
      objects.Add(labels).Increment(static_cast<double>(*c.retained_objects));
    }
    Gauge& leak = leaking.Add(labels);
    if (c.leaking) leak.Set(1);
  };
  for (const CallsiteRow* c : split.own) add(SiteLabels(pid(*c), *c), *c);
  for (const CallsiteRow* c : split.folded) add(OtherLabels(pid(*c)), *c);
}

void AddRunSeries(prometheus::Registry& reg, const Report& r, const SeriesSplit& alloc,
                  const SeriesSplit& retained, const std::string& version) {
  auto& folded = GaugeFamily(reg, "goretain_callsites_folded",
                             "Call sites summed into the function=\"(other)\" series (beyond "
                             "--metrics-top): series=alloc for the counters, retained for the "
                             "gauges.");
  folded.Add({{"series", "alloc"}}).Set(static_cast<double>(alloc.folded.size()));
  folded.Add({{"series", "retained"}}).Set(static_cast<double>(retained.folded.size()));
  CounterFamily(reg, "goretain_events_total", "Allocation events received from the probes.")
      .Add({})
      .Increment(static_cast<double>(r.events_received));
  CounterFamily(reg, "goretain_events_dropped_total",
                "Events lost because the ring buffer was full (the figures undercount).")
      .Add({})
      .Increment(static_cast<double>(r.events_dropped));
  if (r.gc_cycles) {
    CounterFamily(reg, "goretain_gc_cycles_total", "Completed GC cycles seen while tracing.")
        .Add({})
        .Increment(static_cast<double>(*r.gc_cycles));
  }
  auto& target = GaugeFamily(reg, "goretain_target_info", "A traced process (value 1).");
  for (const ReportTarget& t : r.targets) {
    target
        .Add({{"pid", std::to_string(t.pid)},
              {"exe", t.exe},
              {"go_version", t.go_version},
              {"build_id", t.build_id}})
        .Set(1);
  }
  GaugeFamily(reg, "goretain_build_info", "goretain's version (value 1).")
      .Add({{"version", version}})
      .Set(1);
}

}  // namespace

std::string MetricsText::Render(const Report& r) {
  const PidOfRow pid(r);
  const SeriesSplit retained = SplitGaugeSeries(r, options_.top);
  prometheus::Registry reg;
  {
    std::lock_guard lock(mu_);
    const SeriesSplit alloc = counters_.Split(r);
    AddAllocSeries(reg, alloc, pid);
    AddRunSeries(reg, r, alloc, retained, options_.version);
  }
  AddRetainedSeries(reg, retained, pid);
  return prometheus::TextSerializer().Serialize(reg.Collect());
}

}  // namespace goretain
