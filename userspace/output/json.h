// The JSON rendering of a report (schema goretain.report/v1: fields are added, never removed or
// renamed). With --interval, one object per line.
#pragma once

#include <cstddef>
#include <string>

#include "userspace/model/report.h"

namespace goretain {

// One JSON object on one line, callsites limited to `top` (0 = all).
std::string RenderJson(const Report& report, size_t top);

}  // namespace goretain
