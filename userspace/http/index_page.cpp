#include "userspace/http/index_page.h"

#include <fmt/format.h>

namespace goretain {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

}  // namespace

std::string RenderIndexPage(const Report* r) {
  std::string targets;
  if (!r) targets = "<p>No report yet: the probes are not live.</p>\n";
  for (const ReportTarget& t : r ? r->targets : std::vector<ReportTarget>{}) {
    targets += fmt::format("<p>Tracing pid {} ({}, {}) for {:.0f} s: {} call sites.</p>\n", t.pid,
                           Escape(t.exe), Escape(t.go_version), r->elapsed_s, r->callsites.size());
  }
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>goretain</title></head>\n"
         "<body><h1>goretain</h1>\n" + targets +
         "<ul>\n<li><a href=\"/metrics\">/metrics</a> (Prometheus)</li>\n"
         "<li><a href=\"/debug/pprof/heap\">/debug/pprof/heap</a> (retained after GC: "
         "<code>go tool pprof</code>)</li>\n"
         "<li><a href=\"/debug/pprof/allocs\">/debug/pprof/allocs</a> (allocated)</li>\n"
         "</ul></body></html>\n";
}

}  // namespace goretain
