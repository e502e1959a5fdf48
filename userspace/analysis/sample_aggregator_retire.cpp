// SampleAggregator::RetireProcess: a followed process exited (analysis/exited_processes.h). In a
// file of its own so the sampler's hot path and row building stay as they are.
#include <map>
#include <string>
#include <tuple>

#include "userspace/analysis/exited_processes.h"
#include "userspace/analysis/sample_aggregator.h"

namespace goretain {

std::vector<CallsiteRow> SampleAggregator::RetireProcess(pid_t pid) {
  auto pit = processes_.find(pid);
  if (pit == processes_.end()) return {};
  const uint64_t rate = pit->second.rate.value_or(kDefaultRate);
  // Its sites' rows, merged by (kind, function, file, line) as Rows() merges, but its own.
  std::map<std::tuple<int, std::string, std::string, int>, CallsiteRow> merged;
  for (const Site* site : pit->second.sites) {
    if (site->kind == Kind::kOther && !all_kinds_) continue;
    CallsiteRow row = RowOf(*site, rate);
    row.pid = static_cast<int>(pid);
    auto [it, inserted] = merged.try_emplace(
        {static_cast<int>(row.kind), row.site.function, row.site.file, row.site.line}, row);
    if (!inserted) AddRowFigures(it->second, row);
  }
  std::vector<CallsiteRow> rows;
  rows.reserve(merged.size());
  for (auto& [key, row] : merged) rows.push_back(std::move(row));
  // Nothing of it stays: its sampled objects (they point at its sites), its sites, its state.
  // (Its sites leave the call-site cap's count with it: its folded sites, pc 0, are counted out
  // of folded_sites_, so that sites_.size() - folded_sites_ stays the kept sites.)
  std::erase_if(objects_, [&](const auto& entry) { return entry.first.pid == pid; });
  std::erase_if(sites_, [&](const auto& entry) {
    if (entry.first.pid != pid) return false;
    if (entry.first.pc == 0) folded_sites_--;
    return true;
  });
  processes_.erase(pit);
  return rows;
}

}  // namespace goretain
