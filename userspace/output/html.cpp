#include "userspace/output/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iterator>

#include "userspace/output/html_assets.h"
#include "userspace/output/html_escape.h"
#include "userspace/output/html_icicle.h"
#include "userspace/output/svg_sparkline.h"
#include "userspace/output/table.h"

namespace goretain {
namespace {

using Out = std::back_insert_iterator<std::string>;

std::string Esc(std::string_view s) { return HtmlEscape(s); }

// "path/to/file.go:42", the last two path components (as the text table shows them).
std::string ShortLocation(const SourceFrame& f) {
  const size_t last = f.file.rfind('/');
  const size_t prev = last == std::string::npos || last == 0 ? std::string::npos
                                                             : f.file.rfind('/', last - 1);
  const std::string file = prev == std::string::npos ? f.file : f.file.substr(prev + 1);
  return fmt::format("{}:{}", file, f.line);
}

// "+1.5 KiB/s", "-78 B/s", "0 B/s".
std::string SignedRate(double bytes_per_s) {
  const uint64_t magnitude = static_cast<uint64_t>(std::llround(std::fabs(bytes_per_s)));
  const char* sign = magnitude == 0 ? "" : bytes_per_s < 0 ? "-" : "+";
  return sign + HumanBytes(magnitude) + "/s";
}

// What the trace measured. (When sampling mode lands, its Report field names the mode here.)
std::string ModeText(const Report& r) {
  if (r.mode == "sampled") {
    return fmt::format("sampled every {} KiB, estimates", r.sample_rate.value_or(524288) / 1024);
  }
  if (r.liveness_checks > 0) return "exact, retained after GC";
  return "exact, allocations (no GC checked)";
}

std::string UtcTime(int64_t unix_ns) {
  const time_t secs = static_cast<time_t>(unix_ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

void Summary(std::string& out, const Report& r) {
  Out o(out);
  out += "<header><h1>goretain: retained memory by call site</h1>";
  for (const ReportTarget& t : r.targets) {
    fmt::format_to(o, R"(<p class="target">pid <b>{}</b> <code>{}</code> <span class="muted">{}</span></p>)",
                   t.pid, Esc(t.exe), Esc(t.go_version));
  }
  uint64_t leaks = 0, retained = 0, allocated = 0;
  for (const CallsiteRow& c : r.callsites) {
    leaks += c.leaking ? 1 : 0;
    retained += c.retained_bytes.value_or(0);
    allocated += c.alloc_bytes;
  }
  auto item = [&](const char* name, const std::string& value, bool warn) {
    fmt::format_to(o, R"(<div{}><span>{}</span>{}</div>)", warn ? R"( class="warn")" : "", name,
                   value);
  };
  out += R"(<div class="summary" id="summary">)";
  item("elapsed", fmt::format("{:.1f} s", r.elapsed_s), false);
  item("GC cycles", std::to_string(r.gc_cycles.value_or(0)), false);
  item("events", std::to_string(r.events_received), false);
  item("dropped", std::to_string(r.events_dropped), r.events_dropped > 0);
  item("mode", ModeText(r), false);
  item("call sites", std::to_string(r.callsites.size()), false);
  item("leak suspects", std::to_string(leaks), leaks > 0);
  item("allocated", HumanBytes(allocated), false);
  item("retained now", HumanBytes(retained), false);
  item("liveness checks", std::to_string(r.liveness_checks), false);
  item("goretain cost", fmt::format("{:.2f} s CPU, {} MiB", r.tracer_cpu_s, r.tracer_max_rss_kb / 1024),
       false);
  item("report time", UtcTime(r.unix_time_ns), false);
  out += "</div></header>";
}

// The call site cell: function, file:line, and (`with_stack`) the stack beyond it folded in a
// <details>. The table of all call sites leaves stacks to the icicle graph: thousands of rows
// with 16 frames each would weigh megabytes.
void SiteCell(std::string& out, const CallsiteRow& c, bool with_stack) {
  Out o(out);
  fmt::format_to(o, R"(<td><div class="fn mono">{}</div><div class="loc mono" title="{}">{}</div>)",
                 Esc(c.site.function), Esc(c.site.file), Esc(ShortLocation(c.site)));
  if (with_stack && !c.stack.empty()) {
    fmt::format_to(o, "<details><summary>{} caller frames</summary><ol>", c.stack.size());
    for (const SourceFrame& f : c.stack) {
      fmt::format_to(o, R"(<li><span class="mono">{}</span> <span class="loc mono">{}</span></li>)",
                     Esc(f.function), Esc(ShortLocation(f)));
    }
    out += "</ol></details>";
  }
  out += "</td>";
}

void LeakSuspects(std::string& out, const Report& r) {
  Out o(out);
  out += R"(<section id="leaks"><h2>Leak suspects</h2>)";
  if (std::none_of(r.callsites.begin(), r.callsites.end(),
                   [](const CallsiteRow& c) { return c.leaking; })) {
    fmt::format_to(o, R"(<p class="empty">No call site's retained bytes rose steadily{}.</p></section>)",
                   r.liveness_checks ? "" : " (no GC cycle was checked: retention is unknown)");
    return;
  }
  out += R"(<table class="sortable" id="leak-table"><thead><tr><th data-key="site">call site</th>)"
         R"(<th data-key="kind">kind</th><th data-key="type">type</th>)"
         R"(<th class="num" data-key="retained">retained now</th>)"
         R"(<th class="num" data-key="growth">growth</th><th class="num" data-key="rise">rise</th>)"
         R"(<th>retained over the trace</th></tr></thead><tbody>)";
  for (const CallsiteRow& c : r.callsites) {
    if (!c.leaking) continue;  // rows come leaking-first, but do not rely on it
    const double growth = c.retained_growth_bytes_per_s.value_or(0);
    const LeakFinding leak = c.leak.value_or(LeakFinding{});
    out += R"(<tr class="leak">)";
    SiteCell(out, c, true);
    fmt::format_to(o, R"(<td class="mono">{}</td><td class="type mono">{}</td>)", KindName(c.kind),
                   Esc(c.type));
    fmt::format_to(o, R"(<td class="num" data-v="{}">{}</td><td class="num" data-v="{:.0f}">{}<br>)"
                      R"(<span class="muted">{}/min</span></td>)",
                   c.retained_bytes.value_or(0), HumanBytes(c.retained_bytes.value_or(0)), growth,
                   SignedRate(growth), HumanBytes(static_cast<uint64_t>(std::max(0.0, growth * 60))));
    fmt::format_to(o, R"(<td class="num" data-v="{:.0f}">{}<br><span class="muted">in {:.0f} s</span></td>)",
                   leak.rise_bytes, HumanBytes(static_cast<uint64_t>(std::max(0.0, leak.rise_bytes))),
                   leak.over_s);
    out += "<td>" + SparklineSvg(c.retained_history, r.elapsed_s, SparklineBox{180, 32}) +
           "</td></tr>";
  }
  out += "</tbody></table></section>";
}

// Allocated vs retained, one scale for the whole table (the largest allocation is full width).
void BarsCell(std::string& out, const CallsiteRow& c, uint64_t max_alloc) {
  const double scale = max_alloc ? 100.0 / static_cast<double>(max_alloc) : 0;
  const uint64_t ret = c.retained_bytes.value_or(0);
  const double share = c.alloc_bytes ? static_cast<double>(ret) / static_cast<double>(c.alloc_bytes) : 0;
  fmt::format_to(Out(out),
                 R"(<td class="bars" data-v="{:.4f}" title="{:.0f}% of the bytes allocated here are retained">)"
                 R"(<div class="bar a" style="width:{:.1f}%"></div><div class="bar r" style="width:{:.1f}%"></div></td>)",
                 share, share * 100, static_cast<double>(c.alloc_bytes) * scale,
                 std::min(100.0, static_cast<double>(ret) * scale));
}

void SiteRow(std::string& out, const CallsiteRow& c, uint64_t max_alloc) {
  Out o(out);
  out += c.leaking ? R"(<tr class="leak"><td data-v="1"><span class="flag">LEAK</span></td>)"
                   : R"(<tr><td data-v="0"></td>)";
  fmt::format_to(o, R"(<td class="mono">{}</td>)", KindName(c.kind));
  SiteCell(out, c, false);
  fmt::format_to(o, R"(<td class="type mono">{}</td>)", Esc(c.type));
  fmt::format_to(o, R"(<td class="num" data-v="{}">{}</td><td class="num" data-v="{}">{}</td>)",
                 c.alloc_bytes, HumanBytes(c.alloc_bytes), c.heap_objects, c.heap_objects);
  if (c.retained_bytes) {
    fmt::format_to(o, R"(<td class="num" data-v="{}">{}</td><td class="num" data-v="{}">{}</td>)",
                   *c.retained_bytes, HumanBytes(*c.retained_bytes), c.retained_objects.value_or(0),
                   c.retained_objects.value_or(0));
  } else {  // unknown sorts below every known figure
    out += R"(<td class="num" data-v="-1">&mdash;</td><td class="num" data-v="-1">&mdash;</td>)";
  }
  if (c.retained_growth_bytes_per_s) {
    fmt::format_to(o, R"(<td class="num" data-v="{:.0f}">{}</td>)", *c.retained_growth_bytes_per_s,
                   SignedRate(*c.retained_growth_bytes_per_s));
  } else {
    out += R"(<td class="num" data-v="-1e300">&mdash;</td>)";
  }
  BarsCell(out, c, max_alloc);
  out += "</tr>";
}

void AllSites(std::string& out, const Report& r) {
  uint64_t max_alloc = 0;
  for (const CallsiteRow& c : r.callsites) max_alloc = std::max(max_alloc, c.alloc_bytes);
  out += R"(<section id="all"><h2>All call sites</h2>)"
         R"(<p class="muted legend">Click a header to sort.)"
         R"x(<i style="background:var(--alloc)"></i>allocated)x"
         R"x(<i style="background:var(--ret)"></i>retained</p>)x"
         R"(<table class="sortable" id="sites"><thead><tr>)"
         R"(<th data-key="leak">leak</th><th data-key="kind">kind</th><th data-key="site">call site</th>)"
         R"(<th data-key="type">type</th><th class="num" data-key="alloc">allocated</th>)"
         R"(<th class="num" data-key="heap_objects">heap objects</th>)"
         R"(<th class="num" data-key="retained">retained</th>)"
         R"(<th class="num" data-key="retained_objects">retained objects</th>)"
         R"(<th class="num" data-key="growth">growth</th>)"
         R"(<th class="num" data-key="share">allocated vs retained</th></tr></thead><tbody>)";
  out.reserve(out.size() + r.callsites.size() * 900);
  for (const CallsiteRow& c : r.callsites) SiteRow(out, c, max_alloc);
  if (r.callsites.empty()) out += R"(<tr><td colspan="10" class="empty">No allocation seen.</td></tr>)";
  out += "</tbody></table></section>";
}

}  // namespace

std::string RenderHtml(const Report& r) { return RenderHtml(r, HtmlPage{}); }

std::string RenderHtml(const Report& r, const HtmlPage& page) {
  std::string out;
  out.reserve(64 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  if (page.live) fmt::format_to(Out(out), "<meta http-equiv=\"refresh\" content=\"{}\">", page.refresh_s);
  fmt::format_to(Out(out), "<title>goretain: {}</title>",
                 r.targets.empty() ? std::string("report")
                                   : Esc(fmt::format("pid {} {}", r.targets[0].pid, r.targets[0].exe)));
  out += "<script>";
  out += kHtmlErrorHook;
  out += "</script><style>";
  out += kHtmlStyle;
  out += "</style></head><body>";
  if (page.live) {
    fmt::format_to(Out(out), "<nav>Live, refreshed every {} s &middot; <a href=\"/metrics\">/metrics</a> "
                   "&middot; <a href=\"/debug/pprof/heap\">/debug/pprof/heap</a> &middot; "
                   "<a href=\"/debug/pprof/allocs\">/debug/pprof/allocs</a></nav>", page.refresh_s);
  }
  Summary(out, r);
  LeakSuspects(out, r);
  IcicleSection(out, r);
  AllSites(out, r);
  out += "<script>";
  out += kHtmlScript;
  out += "</script></body></html>\n";
  return out;
}

}  // namespace goretain
