// The probe plan's progress on the status line: a plan that scans thousands of callers of
// runtime.makemap_small says what it is doing once it has taken a second (quicker ones show
// nothing). goruntime/ reports progress through PlanOptions::progress; this turns it into words.
#pragma once

#include <functional>
#include <string>

#include "userspace/goruntime/probe_plan.h"
#include "userspace/output/status_line.h"

namespace goretain {

// A PlanOptions::progress for the plan of `path`, drawing on `line` (which must outlive it).
std::function<void(const PlanProgress&)> PlanProgressOn(StatusLine& line, std::string path);

}  // namespace goretain
