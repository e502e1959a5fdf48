#include "userspace/output/table.h"

#include <fmt/format.h>

#include <algorithm>

namespace goretain {
namespace {

std::string ShortFile(const std::string& path) {
  // Tables show the last two path components; JSON keeps the full path.
  size_t last = path.rfind('/');
  if (last == std::string::npos || last == 0) return path;
  size_t prev = path.rfind('/', last - 1);
  return prev == std::string::npos ? path : path.substr(prev + 1);
}

// " pod NS/NAME container NAME id ID12" for a process in a container; "" otherwise.
std::string Where(const ReportTarget& t) {
  std::string s;
  if (!t.labels.pod.empty()) s += fmt::format(" pod {}/{}", t.labels.namespace_, t.labels.pod);
  if (!t.labels.container.empty()) s += " container " + t.labels.container;
  if (!t.labels.container_id.empty()) s += " id " + t.labels.container_id.substr(0, 12);
  return s;
}

// What the bounds folded: call sites beyond --max-callsites, processes beyond --max-exited.
std::string FoldingLines(const Report& r) {
  std::string out;
  if (r.folded.callsites) {
    out += fmt::format("{}{} call sites beyond --max-callsites folded into (other) rows\n\n",
                       r.folded.callsites_at_least ? "at least " : "", r.folded.callsites);
  }
  if (r.exited.processes) {
    out += fmt::format("{} process{} exited: {} kept with their pid, {} folded into rows "
                       "without a pid (--max-exited){}\n\n", r.exited.processes,
                       r.exited.processes == 1 ? "" : "es", r.exited.kept,
                       r.exited.folded,
                       r.exited.rows_folded_into_other
                           ? fmt::format(", {} of their rows into (other)",
                                         r.exited.rows_folded_into_other)
                           : "");
  }
  return out;
}

}  // namespace

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

std::string RenderTable(const Report& r, size_t top) {
  std::string out;
  for (const auto& t : r.targets) {
    out += fmt::format("goretain: pid {} {} ({}){}{}\n", t.pid, t.exe, t.go_version, Where(t),
                       t.exited ? " (exited)" : "");
  }
  if (r.sample_rate) {
    out += fmt::format("mode: sampled (estimates from the runtime's heap samples, 1 per {} "
                       "allocated)\n", HumanBytes(*r.sample_rate));
  } else {
    out += fmt::format("mode: {}\n", r.mode);
  }
  out += fmt::format("elapsed {:.1f}s, {} GC cycles, {} events, {} dropped; goretain used {:.2f}s CPU, {} MiB\n\n",
                     r.elapsed_s, r.gc_cycles.value_or(0), r.events_received, r.events_dropped, r.tracer_cpu_s,
                     r.tracer_max_rss_kb / 1024);
  if (r.before_attach) out += fmt::format("before attach: {}\n\n", r.before_attach->note);
  out += FoldingLines(r);
  const size_t n = top ? std::min(top, r.callsites.size()) : r.callsites.size();
  if (n == 0) return out + "no map or slice allocations seen\n";

  // Columns: left-aligned text or right-aligned numbers; ASSIGNS only with --assigns.
  struct Column {
    const char* header;
    bool right;
  };
  // PID first when several processes are traced: rows are per process.
  const bool by_pid = r.targets.size() > 1 || r.exited.folded > 0;
  std::vector<Column> cols;
  if (by_pid) cols.push_back({"PID", true});
  cols.insert(cols.end(), {{"KIND", false}, {"ALLOC", true}, {"OBJECTS", true},
                              {"RETAINED", true}, {"GROWTH/s", true}});
  if (r.assigns_counted) cols.push_back({"ASSIGNS", true});
  // BEFORE: in use before attach, estimated from the target's own heap profile.
  if (r.before_attach) cols.push_back({"BEFORE", true});
  cols.insert(cols.end(), {{"LOCATION", false}, {"FUNCTION", false}, {"TYPE", false}});

  std::vector<std::vector<std::string>> rows;
  rows.emplace_back();
  for (const auto& c : cols) rows.back().push_back(c.header);
  for (size_t i = 0; i < n; i++) {
    const CallsiteRow& c = r.callsites[i];
    std::vector<std::string> row;
    // Rows of exited processes folded together have no pid.
    if (by_pid) row.push_back(c.folded_processes ? "exited" : std::to_string(c.pid));
    row.insert(row.end(), {
        c.leaking ? std::string(KindName(c.kind)) + " LEAK" : std::string(KindName(c.kind)),
        HumanBytes(c.alloc_bytes), std::to_string(c.alloc_objects),
        c.retained_bytes ? HumanBytes(*c.retained_bytes) : "-",
        c.retained_growth_bytes_per_s && *c.retained_growth_bytes_per_s >= 1
            ? HumanBytes(static_cast<uint64_t>(*c.retained_growth_bytes_per_s))
            : "-"});
    if (r.assigns_counted) row.push_back(std::to_string(c.assigns));
    if (r.before_attach) {
      row.push_back(c.before_attach ? "~" + HumanBytes(c.before_attach->inuse_bytes) : "-");
    }
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
