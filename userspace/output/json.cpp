#include "userspace/output/json.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace goretain {
namespace {

using Json = nlohmann::ordered_json;

Json FrameJson(const SourceFrame& f) {
  return Json{{"function", f.function}, {"file", f.file}, {"line", f.line}};
}

// Where a process runs (empty strings: not known or not in a container).
Json LabelsJson(const TargetLabels& l) {
  return Json{{"container_id", l.container_id}, {"pod", l.pod}, {"namespace", l.namespace_},
              {"container", l.container}, {"runtime", l.runtime}, {"pod_uid", l.pod_uid}};
}

// A row's figures from before attach (the target's own heap profile), or null.
Json BeforeAttachJson(const std::optional<BeforeAttach>& b) {
  if (!b) return Json(nullptr);
  return Json{{"inuse_objects", b->inuse_objects}, {"inuse_bytes", b->inuse_bytes},
              {"alloc_objects", b->alloc_objects}, {"alloc_bytes", b->alloc_bytes},
              {"samples", Json{{"inuse_objects", b->inuse_samples},
                               {"alloc_objects", b->alloc_samples}}}};
}

Json BeforeAttachSourceJson(const std::optional<BeforeAttachSource>& s) {
  if (!s) return Json(nullptr);
  return Json{{"pid", s->pid}, {"mem_profile_rate", s->mem_profile_rate},
              {"profile_reader_linked", s->profile_reader_linked}, {"buckets", s->buckets},
              {"truncated", s->truncated}, {"note", s->note}};
}

// One call site's object.
Json RowJson(const Report& r, const CallsiteRow& c) {
  Json stack = Json::array();
  for (const auto& f : c.stack) stack.push_back(FrameJson(f));
  Json row{
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
    {"leak", c.leak ? Json{{"rise_bytes", std::round(c.leak->rise_bytes)},
                           {"over_s", std::round(c.leak->over_s * 100) / 100},
                           {"rate_bytes_per_s", std::round(c.leak->rate_bytes_per_s)}}
                    : Json(nullptr)},
    {"stack", std::move(stack)},
    {"before_attach", BeforeAttachJson(c.before_attach)},
    {"pid", c.pid},
    {"labels", LabelsJson(c.labels)},
    {"exited", c.exited},
    {"folded_processes", c.folded_processes},
  };
  if (c.samples) {
    row["samples"] = Json{{"alloc_objects", c.samples->alloc_objects},
                          {"inuse_objects", c.samples->inuse_objects}};
  }
  return row;
}

}  // namespace

void WriteJson(const Report& r, size_t top, const std::function<void(std::string_view)>& put) {
  Json j;
  j["schema"] = "goretain.report/v1";
  j["mode"] = r.mode;
  if (r.sample_rate) j["sample_rate"] = *r.sample_rate;
  j["elapsed_s"] = std::round(r.elapsed_s * 100) / 100;
  Json targets = Json::array();
  for (const auto& t : r.targets) {
    targets.push_back(Json{{"pid", t.pid}, {"exe", t.exe}, {"go_version", t.go_version},
                           {"ns_pid", t.ns_pid}, {"labels", LabelsJson(t.labels)},
                           {"exited", t.exited}});
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
  Json tail;
  tail["before_attach"] = BeforeAttachSourceJson(r.before_attach);
  tail["folded"] = Json{{"callsites", r.folded.callsites},
                        {"callsites_at_least", r.folded.callsites_at_least},
                        {"allocations", r.folded.allocations}};
  tail["exited_processes"] = Json{{"exited", r.exited.processes}, {"kept", r.exited.kept},
                                  {"folded", r.exited.folded},
                                  {"rows_folded_into_other", r.exited.rows_folded_into_other}};
  // The rows (tens of thousands in a long run) are rendered one at a time between the fields
  // before them and those after, never as one JSON tree: a report's memory stays that of its
  // text (scripts/bench-long-run.sh).
  auto dump = [](const Json& v) { return v.dump(-1, ' ', false, Json::error_handler_t::replace); };
  std::string head = dump(j);
  head.pop_back();  // the head object's closing brace
  put(head);
  put(R"(,"callsites":[)");
  const size_t n = top ? std::min(top, r.callsites.size()) : r.callsites.size();
  for (size_t i = 0; i < n; i++) {
    if (i) put(",");
    put(dump(RowJson(r, r.callsites[i])));
  }
  put("],");
  put(std::string_view(dump(tail)).substr(1));  // the tail object without its opening brace
  put("\n");
}

std::string RenderJson(const Report& r, size_t top) {
  std::string out;
  WriteJson(r, top, [&out](std::string_view text) { out += text; });
  return out;
}

}  // namespace goretain
