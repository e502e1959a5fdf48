#include "userspace/output/svg_sparkline.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "userspace/output/table.h"

namespace goretain {

std::string SparklinePoints(const std::vector<RetainedPoint>& series, double t_end_s,
                            SparklineBox box) {
  if (series.empty()) return "";
  uint64_t peak = 0;
  for (const RetainedPoint& p : series) peak = std::max(peak, p.bytes);
  const double t_end = std::max(t_end_s, series.back().t_s);
  const double span = t_end > 0 ? t_end : 1;
  const double usable = box.height - 2;  // 1 px margin, so the line is never clipped
  auto x_of = [&](double t) { return std::clamp(t / span, 0.0, 1.0) * box.width; };
  auto y_of = [&](uint64_t b) {
    const double f = peak ? static_cast<double>(b) / static_cast<double>(peak) : 0;
    return 1 + usable * (1 - f);
  };
  std::string out;
  out.reserve(series.size() * 24);
  auto add = [&](double x, double y) {
    if (!out.empty()) out += ' ';
    fmt::format_to(std::back_inserter(out), "{:.1f},{:.1f}", x, y);
  };
  for (size_t i = 0; i < series.size(); i++) {
    if (i > 0) add(x_of(series[i].t_s), y_of(series[i - 1].bytes));  // the step's riser
    add(x_of(series[i].t_s), y_of(series[i].bytes));
  }
  add(x_of(t_end), y_of(series.back().bytes));
  return out;
}

std::string SparklineSvg(const std::vector<RetainedPoint>& series, double t_end_s,
                         SparklineBox box) {
  const std::string points = SparklinePoints(series, t_end_s, box);
  std::string out = fmt::format(
      R"(<svg class="spark" width="{0:g}" height="{1:g}" viewBox="0 0 {0:g} {1:g}">)", box.width,
      box.height);
  if (!points.empty()) {
    uint64_t peak = 0;
    for (const RetainedPoint& p : series) peak = std::max(peak, p.bytes);
    const std::string first_x = points.substr(0, points.find(','));
    fmt::format_to(std::back_inserter(out),
                   "<title>retained: peak {}, now {} ({} points)</title>"
                   R"(<polygon class="area" points="{},{:g} {} {:g},{:g}"/>)"
                   R"(<polyline points="{}"/>)",
                   HumanBytes(peak), HumanBytes(series.back().bytes), series.size(), first_x,
                   box.height, points, box.width, box.height, points);
  }
  out += "</svg>";
  return out;
}

}  // namespace goretain
