// The HTML report's icicle section: the layouts of icicle.h drawn as positioned boxes (widths in
// percent, so the graph fills any window), one for retained and one for allocated bytes, with
// buttons to switch. Frame names are escaped; each box's title gives the frame and its bytes.
#pragma once

#include <string>

#include "userspace/model/report.h"

namespace goretain {

// Appends <section id="flame"> to `out`.
void IcicleSection(std::string& out, const Report& report);

}  // namespace goretain
