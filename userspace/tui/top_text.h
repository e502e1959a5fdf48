// The text of the live view (`goretain top`): every line of the screen for one report, fitted to
// a width, and the number formats they use. Pure (no terminal); top_screen draws these lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "userspace/model/report.h"
#include "userspace/tui/top_model.h"

namespace goretain::tui {

// Signed, per second: "+12.3 KiB/s", "-800 B/s", "0 B/s".
std::string FormatRate(double bytes_per_s);
// Thousands separated: 1234567 -> "1,234,567".
std::string FormatCount(uint64_t n);

// Cuts a UTF-8 line to at most `columns` characters (every character here is one column wide).
std::string FitWidth(const std::string& line, size_t columns);
size_t DisplayWidth(const std::string& line);

// The text of the screen for one report, each line already fitted to `width` columns.
struct TopScreenText {
  std::vector<std::string> header;   // target, run figures, retained total with its sparkline
  std::string columns;               // the table's column titles
  std::vector<std::string> rows;     // one per selected call site, best first
  std::vector<bool> row_leaking;     // parallel to rows: draw highlighted
  std::string status;                // what is shown (sort, filter, counts)
  std::string help;                  // the keys
};
// `target_hint` names the target before the first report ("pid 1234" or the command).
TopScreenText RenderTop(const Report* report, const LiveHistory& history, const ViewState& state,
                        size_t width, bool unicode, const std::string& target_hint);

// One table row: LEAK marker, retained, growth, alloc bytes, allocs, kind, type, function (file:line).
std::string FormatRow(const CallsiteRow& row, size_t width);
std::string ColumnTitles(size_t width);

}  // namespace goretain::tui
