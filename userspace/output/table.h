// The table rendering of a report, for people: aligned columns, leaking lines marked LEAK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "userspace/model/report.h"

namespace goretain {

// 1536 -> "1.5 KiB"; below 1 KiB exact bytes ("48 B").
std::string HumanBytes(uint64_t bytes);

// Aligned columns for people, callsites limited to `top` (0 = all).
std::string RenderTable(const Report& report, size_t top);

}  // namespace goretain
