// The page at `/`: until the HTML report is wired in, a small landing page (Prometheus' exporter
// advice: link /metrics) that names the target and links the other endpoints.
#pragma once

#include <string>

#include "userspace/model/report.h"

namespace goretain {

// `r` is null before the first report.
std::string RenderIndexPage(const Report* r);

}  // namespace goretain
