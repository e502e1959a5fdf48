#include "userspace/session/plan_progress.h"

#include <chrono>

#include <fmt/format.h>

namespace goretain {
namespace {
constexpr std::chrono::seconds kQuiet{1};  // a plan quicker than this shows nothing
}  // namespace

std::function<void(const PlanProgress&)> PlanProgressOn(StatusLine& line, std::string path) {
  return [&line, path = std::move(path), start = std::chrono::steady_clock::now()](
             const PlanProgress& p) {
    if (std::chrono::steady_clock::now() - start < kQuiet) return;
    line.Say(fmt::format("planning probes for {}: {}/{} callers", path, p.done, p.total));
  };
}

}  // namespace goretain
