#include "userspace/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace goretain {
namespace {

using Json = nlohmann::ordered_json;

Json FrameJson(const SourceFrame& f) {
  return Json{{"function", f.function}, {"file", f.file}, {"line", f.line}};
}

std::string ShortFile(const std::string& path) {
  // Tables show the last two path components; JSON keeps the full path.
  size_t last = path.rfind('/');
  if (last == std::string::npos || last == 0) return path;
  size_t prev = path.rfind('/', last - 1);
  return prev == std::string::npos ? path : path.substr(prev + 1);
}

}  // namespace

const char* KindName(gr_kind kind) {
  switch (kind) {
    case GR_KIND_MAP_MAKE: return "map.make";
    case GR_KIND_MAP_GROW: return "map.grow";
    case GR_KIND_SLICE_GROW: return "slice.grow";
    case GR_KIND_GC: return "gc";
  }
  return "unknown";
}

std::string HumanBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    unit++;
  }
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

std::string RenderJson(const Report& r, size_t top) {
  Json j;
  j["schema"] = "goretain.report/v1";
  j["elapsed_s"] = std::round(r.elapsed_s * 100) / 100;
  Json targets = Json::array();
  for (const auto& t : r.targets) {
    targets.push_back(Json{{"pid", t.pid}, {"exe", t.exe}, {"go_version", t.go_version}});
  }
  j["targets"] = std::move(targets);
  j["gc_cycles"] = r.gc_cycles ? Json(*r.gc_cycles) : Json(nullptr);
  j["events"] = Json{{"received", r.events_received}, {"dropped", r.events_dropped}};
  j["tracer"] = Json{{"cpu_s", std::round(r.tracer_cpu_s * 1000) / 1000},
                     {"max_rss_kb", r.tracer_max_rss_kb}};
  // More GC cycles than checks: cycles that came faster than checks ran were judged together.
  j["liveness"] = Json{{"checks", r.liveness_checks},
                       {"tracked_objects", r.tracked_objects},
                       {"last_check_ms", std::round(r.liveness_last_check_ms * 100) / 100},
                       {"max_check_ms", std::round(r.liveness_max_check_ms * 100) / 100}};
  Json sites = Json::array();
  const size_t n = top ? std::min(top, r.callsites.size()) : r.callsites.size();
  for (size_t i = 0; i < n; i++) {
    const CallsiteRow& c = r.callsites[i];
    Json stack = Json::array();
    for (const auto& f : c.stack) stack.push_back(FrameJson(f));
    sites.push_back(Json{
        {"kind", KindName(c.kind)},
        {"function", c.site.function},
        {"file", c.site.file},
        {"line", c.site.line},
        {"type", c.type.empty() ? Json(nullptr) : Json(c.type)},
        {"alloc_objects", c.alloc_objects},
        {"alloc_bytes", c.alloc_bytes},
        {"heap_objects", c.heap_objects},
        {"assigns", r.assigns_counted ? Json(c.assigns) : Json(nullptr)},
        {"retained_objects", c.retained_objects ? Json(*c.retained_objects) : Json(nullptr)},
        {"retained_bytes", c.retained_bytes ? Json(*c.retained_bytes) : Json(nullptr)},
        {"retained_growth_bytes_per_s", c.retained_growth_bytes_per_s
                                            ? Json(std::round(*c.retained_growth_bytes_per_s))
                                            : Json(nullptr)},
        {"leaking", c.leaking},
        {"stack", std::move(stack)},
    });
  }
  j["callsites"] = std::move(sites);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string RenderTable(const Report& r, size_t top) {
  std::string out;
  for (const auto& t : r.targets) {
    out += fmt::format("goretain: pid {} {} ({})\n", t.pid, t.exe, t.go_version);
  }
  out += fmt::format("elapsed {:.1f}s, {} GC cycles, {} events, {} dropped; goretain used {:.2f}s CPU, {} MiB\n\n",
                     r.elapsed_s, r.gc_cycles.value_or(0), r.events_received, r.events_dropped, r.tracer_cpu_s,
                     r.tracer_max_rss_kb / 1024);
  const size_t n = top ? std::min(top, r.callsites.size()) : r.callsites.size();
  if (n == 0) return out + "no map or slice allocations seen\n";

  // Columns: left-aligned text or right-aligned numbers; ASSIGNS only with --assigns.
  struct Column {
    const char* header;
    bool right;
  };
  std::vector<Column> cols = {{"KIND", false}, {"ALLOC", true}, {"OBJECTS", true},
                              {"RETAINED", true}, {"GROWTH/s", true}};
  if (r.assigns_counted) cols.push_back({"ASSIGNS", true});
  cols.insert(cols.end(), {{"LOCATION", false}, {"FUNCTION", false}, {"TYPE", false}});

  std::vector<std::vector<std::string>> rows;
  rows.emplace_back();
  for (const auto& c : cols) rows.back().push_back(c.header);
  for (size_t i = 0; i < n; i++) {
    const CallsiteRow& c = r.callsites[i];
    std::vector<std::string> row = {
        c.leaking ? std::string(KindName(c.kind)) + " LEAK" : std::string(KindName(c.kind)),
        HumanBytes(c.alloc_bytes), std::to_string(c.alloc_objects),
        c.retained_bytes ? HumanBytes(*c.retained_bytes) : "-",
        c.retained_growth_bytes_per_s && *c.retained_growth_bytes_per_s >= 1
            ? HumanBytes(static_cast<uint64_t>(*c.retained_growth_bytes_per_s))
            : "-"};
    if (r.assigns_counted) row.push_back(std::to_string(c.assigns));
    row.push_back(c.site.file.empty() ? "?" : fmt::format("{}:{}", ShortFile(c.site.file), c.site.line));
    row.push_back(c.site.function);
    row.push_back(c.type.empty() ? "-" : c.type);
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(cols.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); i++) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); i++) {
      if (i) line += "  ";
      line += cols[i].right ? fmt::format("{:>{}}", row[i], width[i])
                            : fmt::format("{:<{}}", row[i], width[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace goretain
