// The JSON rendering of a report (schema goretain.report/v1: fields are added, never removed or
// renamed). With --interval, one object per line.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "userspace/model/report.h"

namespace goretain {

// One JSON object on one line, callsites limited to `top` (0 = all).
std::string RenderJson(const Report& report, size_t top);

// The same text, handed to `put` piece by piece (a row at a time): a report of tens of thousands
// of rows is written without ever being whole in memory (scripts/bench-long-run.sh).
void WriteJson(const Report& report, size_t top,
               const std::function<void(std::string_view)>& put);

}  // namespace goretain
