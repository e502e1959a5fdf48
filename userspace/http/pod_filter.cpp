#include "userspace/http/pod_filter.h"

namespace goretain {
namespace {

bool InPod(const TargetLabels& l, const PodFilter& pod) {
  return l.namespace_ == pod.namespace_ && l.pod == pod.name;
}

}  // namespace

std::optional<PodFilter> ParsePodFilter(std::string_view value) {
  const size_t slash = value.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == value.size() ||
      value.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return PodFilter{std::string(value.substr(0, slash)), std::string(value.substr(slash + 1))};
}

Report FilterByPod(const Report& report, const PodFilter& pod) {
  Report out = report;  // the session's figures; the per-process parts are cut below
  std::erase_if(out.targets, [&](const ReportTarget& t) { return !InPod(t.labels, pod); });
  std::erase_if(out.callsites, [&](const CallsiteRow& c) { return !InPod(c.labels, pod); });
  return out;
}

}  // namespace goretain
