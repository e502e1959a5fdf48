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
        {"retained_objects", nullptr},
        {"retained_bytes", nullptr},
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
  out += fmt::format("elapsed {:.1f}s, {} events, {} dropped\n\n", r.elapsed_s, r.events_received,
                     r.events_dropped);
  const size_t n = top ? std::min(top, r.callsites.size()) : r.callsites.size();
  if (n == 0) return out + "no map or slice allocations seen\n";

  struct Cells {
    std::string kind, bytes, objects, where, function, type;
  };
  std::vector<Cells> rows;
  rows.push_back({"KIND", "ALLOC", "OBJECTS", "LOCATION", "FUNCTION", "TYPE"});
  for (size_t i = 0; i < n; i++) {
    const CallsiteRow& c = r.callsites[i];
    rows.push_back({KindName(c.kind), HumanBytes(c.alloc_bytes), std::to_string(c.alloc_objects),
                    c.site.file.empty() ? "?" : fmt::format("{}:{}", ShortFile(c.site.file), c.site.line),
                    c.site.function, c.type.empty() ? "-" : c.type});
  }
  size_t w[5] = {};
  for (const auto& row : rows) {
    w[0] = std::max(w[0], row.kind.size());
    w[1] = std::max(w[1], row.bytes.size());
    w[2] = std::max(w[2], row.objects.size());
    w[3] = std::max(w[3], row.where.size());
    w[4] = std::max(w[4], row.function.size());
  }
  for (const auto& row : rows) {
    std::string line = fmt::format("{:<{}}  {:>{}}  {:>{}}  {:<{}}  {:<{}}  {}", row.kind, w[0],
                                   row.bytes, w[1], row.objects, w[2], row.where, w[3],
                                   row.function, w[4], row.type);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace goretain
