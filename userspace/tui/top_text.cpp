#include "userspace/tui/top_text.h"

#include "userspace/output/table.h"  // HumanBytes: the table's byte format

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace goretain::tui {
namespace {

constexpr size_t kTypeWidth = 24;

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A column value cut to `width` with a trailing '~' when it did not fit.
std::string Clip(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  return s.substr(0, width - 1) + "~";
}

std::string TargetLine(const Report* report, const std::string& target_hint) {
  if (!report || report->targets.empty()) {
    return fmt::format("goretain top  {}: attaching...", target_hint);
  }
  const ReportTarget& t = report->targets.front();
  std::string line = fmt::format("goretain top  pid {}  {}  {}", t.pid, t.exe, t.go_version);
  if (report->targets.size() > 1) line += fmt::format("  (+{} more)", report->targets.size() - 1);
  return line;
}

std::string FiguresLine(const Report& r, const LiveHistory& history) {
  size_t leaking = 0;
  for (const CallsiteRow& row : r.callsites) leaking += row.leaking ? 1 : 0;
  const std::string gc = r.gc_cycles ? FormatCount(*r.gc_cycles) : "-";
  const std::string rate =
      history.events_per_s() ? FormatCount(static_cast<uint64_t>(std::lround(*history.events_per_s())))
                             : "-";
  return fmt::format("elapsed {:.1f} s   GC cycles {}   events {} ({}/s)   dropped {}   "
                     "call sites {}, {} leaking",
                     r.elapsed_s, gc, FormatCount(r.events_received), rate,
                     FormatCount(r.events_dropped), r.callsites.size(), leaking);
}

std::string RetainedLine(const Report& r, const LiveHistory& history, size_t width, bool unicode) {
  const std::optional<uint64_t> total = RetainedTotal(r);
  if (!total) return "retained -  (no GC cycle checked yet, or --no-retained)";
  const std::string head = fmt::format("retained {:>10}  ", HumanBytes(*total));
  const std::vector<uint64_t>& totals = history.retained_totals();
  if (totals.empty()) return head;
  const auto [lo, hi] = std::minmax_element(totals.begin(), totals.end());
  const std::string tail =
      fmt::format("  min {} max {} over {:.0f} s", HumanBytes(*lo), HumanBytes(*hi), r.elapsed_s);
  const size_t used = head.size() + tail.size();
  const size_t spark_width = width > used + 8 ? width - used : 8;
  return head + Sparkline(totals, spark_width, unicode) + tail;
}

}  // namespace

std::string FormatRate(double bytes_per_s) {
  const auto magnitude = static_cast<uint64_t>(std::llround(std::fabs(bytes_per_s)));
  if (magnitude == 0) return "0 B/s";
  return fmt::format("{}{}/s", bytes_per_s < 0 ? "-" : "+", HumanBytes(magnitude));
}

std::string FormatCount(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); i++) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

size_t DisplayWidth(const std::string& line) {
  size_t n = 0;
  for (unsigned char c : line) n += (c & 0xC0) != 0x80 ? 1 : 0;  // count lead bytes only
  return n;
}

std::string FitWidth(const std::string& line, size_t columns) {
  size_t chars = 0;
  for (size_t i = 0; i < line.size(); i++) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;
    if (chars == columns) return line.substr(0, i);
    chars++;
  }
  return line;
}

namespace {

// Which columns fit: on a narrow terminal the type, then the heap objects, then the allocated
// bytes give way, so that the function and line (the last column) keep kMinSiteWidth characters.
struct Layout {
  size_t type_width = kTypeWidth;  // 0: no type column
  bool allocs = true;
  bool alloc = true;
};

constexpr size_t kMinSiteWidth = 32;

Layout LayoutFor(size_t width) {
  const Layout candidates[] = {{kTypeWidth, true, true}, {12, true, true}, {0, true, true},
                               {0, false, true}, {0, false, false}};
  for (const Layout& l : candidates) {
    // marker 5, retained 10, growth 1+12, kind 2+10, then the optional ones, then " " + site.
    const size_t fixed = 40 + (l.alloc ? 11 : 0) + (l.allocs ? 10 : 0) +
                         (l.type_width ? l.type_width + 1 : 0) + 1;
    if (fixed + kMinSiteWidth <= width) return l;
  }
  return candidates[std::size(candidates) - 1];
}

std::string Line(const Layout& l, const std::string& marker, const std::string& retained,
                 const std::string& growth, const std::string& alloc, const std::string& allocs,
                 const std::string& kind, const std::string& type, const std::string& site) {
  std::string line = fmt::format("{:<5}{:>10} {:>12}", marker, retained, growth);
  if (l.alloc) line += fmt::format(" {:>10}", alloc);
  if (l.allocs) line += fmt::format(" {:>9}", allocs);
  line += fmt::format("  {:<10}", kind);
  if (l.type_width) line += fmt::format(" {:<{}}", Clip(type, l.type_width), l.type_width);
  return line + " " + site;
}

}  // namespace

std::string ColumnTitles(size_t width) {
  return FitWidth(Line(LayoutFor(width), "", "RETAINED", "GROWTH", "ALLOC", "ALLOCS", "KIND",
                       "TYPE", "FUNCTION (FILE:LINE)"),
                  width);
}

std::string FormatRow(const CallsiteRow& row, size_t width) {
  const std::string retained = row.retained_bytes ? HumanBytes(*row.retained_bytes) : "-";
  const std::string growth =
      row.retained_growth_bytes_per_s ? FormatRate(*row.retained_growth_bytes_per_s) : "-";
  const std::string site =
      fmt::format("{} ({}:{})", row.site.function, BaseName(row.site.file), row.site.line);
  return FitWidth(Line(LayoutFor(width), row.leaking ? "LEAK" : "", retained, growth,
                       HumanBytes(row.alloc_bytes), FormatCount(row.alloc_objects),
                       KindName(row.kind), row.type.empty() ? "-" : row.type, site),
                  width);
}

TopScreenText RenderTop(const Report* report, const LiveHistory& history, const ViewState& state,
                        size_t width, bool unicode, const std::string& target_hint) {
  TopScreenText text;
  text.header.push_back(FitWidth(TargetLine(report, target_hint), width));
  size_t shown = 0;
  if (report) {
    text.header.push_back(FitWidth(FiguresLine(*report, history), width));
    text.header.push_back(FitWidth(RetainedLine(*report, history, width, unicode), width));
    for (const CallsiteRow* row : SelectRows(*report, state)) {
      text.rows.push_back(FormatRow(*row, width));
      text.row_leaking.push_back(row->leaking);
    }
    shown = text.rows.size();
  }
  text.columns = ColumnTitles(width);
  text.status = FitWidth(
      fmt::format("sort: {}   kind: {}   leaks only: {}   {} of {} call sites", SortName(state.sort),
                  KindFilterName(state.kind), state.leaks_only ? "on" : "off", shown,
                  report ? report->callsites.size() : 0),
      width);
  text.help = FitWidth(
      "q quit   s sort (r retained, g growth, a alloc)   k kind filter   l leaks only", width);
  return text;
}

}  // namespace goretain::tui
