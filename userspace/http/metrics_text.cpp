#include "userspace/http/metrics_text.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <optional>

namespace goretain {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// The families are built as prometheus-cpp's MetricFamily values and written by its
// TextSerializer. (Its Registry, which validates and hashes every label set on Add, took about
// 1.3 s for 10,000 call sites: far over the 100 ms a scrape may take.)
MetricFamily Family(const char* name, const char* help, MetricType type) {
  return MetricFamily{name, help, type, {}};
}

void Add(MetricFamily& f, Labels labels, double value) {
  ClientMetric& m = f.metric.emplace_back();
  m.label = std::move(labels);
  (f.type == MetricType::Counter ? m.counter.value : m.gauge.value) = value;
}

// The pid of the target a row belongs to: the row's own (rows are per process), else the first
// target running the row's executable, "" if none matches.
class PidOfRow {
 public:
  explicit PidOfRow(const Report& r) {
    for (const ReportTarget& t : r.targets) pids_.try_emplace(t.exe, std::to_string(t.pid));
  }
  std::string operator()(const CallsiteRow& c) const {
    if (c.pid != 0) return std::to_string(c.pid);
    if (c.folded_processes) return std::string();  // exited processes folded together: no pid
    auto it = pids_.find(c.exe);
    return it == pids_.end() ? std::string() : it->second;
  }

 private:
  std::map<std::string, std::string> pids_;
};

// A process's container and pod (userspace/targets/), when it runs in one: only the labels it
// has, so series of processes outside containers keep their label set.
void AddContainerLabels(Labels& labels, const TargetLabels& l) {
  for (const auto& [name, value] : {std::pair{"namespace", &l.namespace_}, std::pair{"pod", &l.pod},
                                    std::pair{"container", &l.container},
                                    std::pair{"container_id", &l.container_id}}) {
    if (!value->empty()) labels.push_back({name, *value});
  }
}

Labels SiteLabels(const std::string& pid, const CallsiteRow& c) {
  Labels labels = {{"pid", pid},
                   {"kind", KindName(c.kind)},
                   {"function", c.site.function},
                   {"file", c.site.file},
                   {"line", std::to_string(c.site.line)},
                   {"type", c.type}};
  AddContainerLabels(labels, c.labels);
  // Rows of exited processes folded together (--max-exited) have no pid: their executable
  // tells them apart.
  if (c.folded_processes) {
    labels.push_back({"exited", "folded"});
    labels.push_back({"exe", c.exe});
  }
  return labels;
}

// A pid's "(other)" series: function="(other)", the other call-site labels empty (Prometheus
// treats an empty value as an absent label).
Labels OtherLabels(const std::string& pid) {
  return {{"pid", pid}, {"kind", ""}, {"function", "(other)"}, {"file", ""}, {"line", ""},
          {"type", ""}};
}

// What one pid's folded rows add up to.
struct FoldedSum {
  uint64_t alloc_bytes = 0, heap_objects = 0;
  std::optional<uint64_t> retained_bytes, retained_objects;
  bool leaking = false;
};

std::map<std::string, FoldedSum> SumFolded(const SeriesSplit& split, const PidOfRow& pid) {
  std::map<std::string, FoldedSum> sums;
  for (const CallsiteRow* c : split.folded) {
    FoldedSum& s = sums[pid(*c)];
    s.alloc_bytes += c->alloc_bytes;
    s.heap_objects += c->heap_objects;
    if (c->retained_bytes) s.retained_bytes = s.retained_bytes.value_or(0) + *c->retained_bytes;
    if (c->retained_objects) {
      s.retained_objects = s.retained_objects.value_or(0) + *c->retained_objects;
    }
    s.leaking = s.leaking || c->leaking;
  }
  return sums;
}

// Counters per call site: bytes and heap objects allocated (the JSON's alloc_bytes and
// heap_objects; pprof's alloc_space and alloc_objects).
void AddAllocSeries(std::vector<MetricFamily>& out, const SeriesSplit& split, const PidOfRow& pid) {
  MetricFamily bytes = Family("goretain_alloc_bytes_total",
                              "Bytes allocated at a call site since tracing began.",
                              MetricType::Counter);
  MetricFamily objects = Family("goretain_alloc_objects_total",
                                "Heap objects allocated at a call site since tracing began.",
                                MetricType::Counter);
  for (const CallsiteRow* c : split.own) {
    Labels labels = SiteLabels(pid(*c), *c);
    Add(bytes, labels, static_cast<double>(c->alloc_bytes));
    Add(objects, std::move(labels), static_cast<double>(c->heap_objects));
  }
  for (const auto& [p, sum] : SumFolded(split, pid)) {
    Add(bytes, OtherLabels(p), static_cast<double>(sum.alloc_bytes));
    Add(objects, OtherLabels(p), static_cast<double>(sum.heap_objects));
  }
  out.push_back(std::move(bytes));
  out.push_back(std::move(objects));
}

// Gauges per call site: what its allocations still hold after the last checked GC (a row with no
// figure yet has no retained series), and whether it leaks ("(other)": 1 if any folded row does).
void AddRetainedSeries(std::vector<MetricFamily>& out, const SeriesSplit& split,
                       const PidOfRow& pid) {
  MetricFamily bytes = Family("goretain_retained_bytes",
                              "Bytes allocated at a call site still live after the last checked GC.",
                              MetricType::Gauge);
  MetricFamily objects = Family("goretain_retained_objects",
                                "Heap objects allocated at a call site still live after the last "
                                "checked GC.",
                                MetricType::Gauge);
  MetricFamily leaking = Family("goretain_leaking",
                                "1 if the call site's retained bytes keep rising (a leak), else 0.",
                                MetricType::Gauge);
  auto add = [&](Labels labels, std::optional<uint64_t> b, std::optional<uint64_t> o, bool leak) {
    if (b) Add(bytes, labels, static_cast<double>(*b));
    if (o) Add(objects, labels, static_cast<double>(*o));
    Add(leaking, std::move(labels), leak ? 1 : 0);
  };
  for (const CallsiteRow* c : split.own) {
    add(SiteLabels(pid(*c), *c), c->retained_bytes, c->retained_objects, c->leaking);
  }
  for (const auto& [p, s] : SumFolded(split, pid)) {
    add(OtherLabels(p), s.retained_bytes, s.retained_objects, s.leaking);
  }
  out.push_back(std::move(bytes));
  out.push_back(std::move(objects));
  out.push_back(std::move(leaking));
}

void AddRunSeries(std::vector<MetricFamily>& out, const Report& r, const SeriesSplit& alloc,
                  const SeriesSplit& retained, const std::string& version) {
  MetricFamily folded = Family("goretain_callsites_folded",
                               "Call sites summed into the function=\"(other)\" series (beyond "
                               "--metrics-top): series=alloc for the counters, retained for the "
                               "gauges.",
                               MetricType::Gauge);
  Add(folded, {{"series", "alloc"}}, static_cast<double>(alloc.folded.size()));
  Add(folded, {{"series", "retained"}}, static_cast<double>(retained.folded.size()));
  out.push_back(std::move(folded));
  auto counter = [&](const char* name, const char* help, uint64_t value) {
    out.push_back(Family(name, help, MetricType::Counter));
    Add(out.back(), {}, static_cast<double>(value));
  };
  counter("goretain_exited_processes_total",
          "Followed processes that exited since tracing began (their rows are kept, frozen).",
          r.exited.processes);
  counter("goretain_exited_processes_folded_total",
          "Exited processes beyond --max-exited whose rows were folded into rows without a pid "
          "(series with exited=\"folded\").",
          r.exited.folded);
  counter("goretain_events_total", "Allocation events received from the probes.",
          r.events_received);
  counter("goretain_events_dropped_total",
          "Events lost because the ring buffer was full (the figures undercount).",
          r.events_dropped);
  if (r.gc_cycles) {
    counter("goretain_gc_cycles_total", "Completed GC cycles seen while tracing.", *r.gc_cycles);
  }
  MetricFamily target = Family("goretain_target_info", "A traced process (value 1).",
                               MetricType::Gauge);
  for (const ReportTarget& t : r.targets) {
    Labels labels = {{"pid", std::to_string(t.pid)},
                     {"exe", t.exe},
                     {"go_version", t.go_version},
                     {"build_id", t.build_id}};
    AddContainerLabels(labels, t.labels);
    if (t.exited) labels.push_back({"exited", "true"});
    Add(target, std::move(labels), 1);
  }
  out.push_back(std::move(target));
  out.push_back(Family("goretain_build_info", "goretain's version (value 1).", MetricType::Gauge));
  Add(out.back(), {{"version", version}}, 1);
}

}  // namespace

std::string MetricsText::Render(const Report& r) {
  SeriesSplit alloc;
  {
    std::lock_guard lock(mu_);
    alloc = counters_.Split(r);
  }
  return Serialize(r, alloc, SplitGaugeSeries(r, options_.top));
}

std::string MetricsText::RenderEverySite(const Report& r) const {
  StickyCounterSeries every_site(0);
  return Serialize(r, every_site.Split(r), SplitGaugeSeries(r, 0));
}

std::string MetricsText::Serialize(const Report& r, const SeriesSplit& alloc,
                                   const SeriesSplit& retained) const {
  const PidOfRow pid(r);
  std::vector<MetricFamily> families;
  AddAllocSeries(families, alloc, pid);
  AddRetainedSeries(families, retained, pid);
  AddRunSeries(families, r, alloc, retained, options_.version);
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace goretain
