// A sparkline of one call site's retained bytes (CallsiteRow::retained_history) as inline SVG:
// a filled step line, x over the whole trace (0 .. the report's elapsed time, so the rows'
// sparklines share one time axis), y from 0 to the series' own peak.
#pragma once

#include <string>
#include <vector>

#include "userspace/model/report.h"

namespace goretain {

struct SparklineBox {
  double width = 120;
  double height = 24;
};

// The polyline's "points" attribute for `series` read as a step function (a value holds until
// the next point, the last one until `t_end_s`) in `box` (y grows downward, 1 px margin top and
// bottom): "x,y x,y ...". Empty when the series is.
std::string SparklinePoints(const std::vector<RetainedPoint>& series, double t_end_s,
                            SparklineBox box);

// A whole <svg> element (class "spark"), or an empty one when there is no series. Its <title>
// names the peak and the last value.
std::string SparklineSvg(const std::vector<RetainedPoint>& series, double t_end_s,
                         SparklineBox box);

}  // namespace goretain
