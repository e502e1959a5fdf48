#include "userspace/analysis/retention.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <unordered_set>

namespace goretain {

void RetentionTracker::AddProcess(pid_t pid, HeapReader reader) {
  processes_[pid].reader = std::make_unique<HeapReader>(std::move(reader));
}

void RetentionTracker::Track(pid_t pid, uint64_t addr, uint64_t bytes,
                             std::optional<uint32_t> alloc_sweepgen, SiteRetention* site) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) {
    site->unaddressed++;
    return;
  }
  if (bytes > UINT32_MAX) {
    site->unaddressed++;
    return;
  }
  if (site->addressed == 0) it->second.sites.push_back(site);
  site->addressed++;
  it->second.objects.push_back(Object{addr, static_cast<uint32_t>(bytes),
                                      alloc_sweepgen.value_or(TrackedObject::kUnknownSweepgen),
                                      site});
}

uint64_t RetentionTracker::tracked_objects() const {
  uint64_t n = 0;
  for (const auto& [pid, p] : processes_) n += p.objects.size();
  return n;
}

bool RetentionTracker::SweepBegan(const std::unordered_map<pid_t, uint32_t>& marked_at) {
  for (auto& [pid, p] : processes_) {
    auto m = marked_at.find(pid);
    if (m == marked_at.end()) continue;
    auto now = p.reader->ReadSweepgen();
    if (now && static_cast<int32_t>(*now - m->second) <= 0) return false;
  }
  return true;
}

void RetentionTracker::PublishFigures(const std::vector<SiteRetention*>& sites,
                                      const SiteTotals& fresh,
                                      const std::unordered_set<SiteRetention*>& stale,
                                      double now_s) {
  for (SiteRetention* site : sites) {
    if (stale.count(site) && !fresh.count(site)) continue;
    auto f = fresh.find(site);
    site->retained_objects = f == fresh.end() ? 0 : f->second.first;
    site->retained_bytes = f == fresh.end() ? 0 : f->second.second;
    site->checked = true;
    site->history.Add(now_s, site->retained_bytes);
  }
}

RetentionCheck RetentionTracker::Check(double now_s) {
  const auto start = std::chrono::steady_clock::now();
  RetentionCheck result;
  SiteTotals fresh;
  std::unordered_set<SiteRetention*> stale;  // sites of processes that could not be read
  std::vector<TrackedObject> chunk;
  chunk.reserve(kCheckChunk);
  for (auto it = processes_.begin(); it != processes_.end();) {
    Process& p = it->second;
    result.objects += p.objects.size();
    const std::vector<bool> superseded =
        SupersededByNewer(p.objects.size(), [&](size_t i) { return p.objects[i].addr; });
    bool readable = true;
    size_t write = 0;  // survivors are compacted to the front of p.objects
    for (size_t begin = 0; begin < p.objects.size() && readable; begin += kCheckChunk) {
      const size_t end = std::min(p.objects.size(), begin + kCheckChunk);
      chunk.clear();
      for (size_t i = begin; i < end; i++) {
        const Object& o = p.objects[i];
        // (A superseded object is dead: its verdict below is ignored.)
        chunk.push_back(TrackedObject{o.addr, o.bytes, o.alloc_sweepgen});
      }
      auto verdicts = p.reader->Check(chunk);
      if (!verdicts) {
        // The process exited (or its memory can no longer be read): its sites keep their figures.
        if (verdicts.error().code == ErrorCode::kBadInput) {
          spdlog::warn("pid {}: no retained bytes: {}", it->first, verdicts.error().message);
        } else {
          spdlog::debug("liveness check of pid {}: {}", it->first, verdicts.error().message);
        }
        readable = false;
        break;
      }
      // Objects born before the last completed cycle began its sweep survived it if live.
      const uint32_t h = p.reader->last_stats().sweepgen_first;
      for (size_t i = begin; i < end; i++) {
        const Object o = p.objects[i];
        const Liveness& v = (*verdicts)[i - begin];
        fresh.try_emplace(o.site, 0, 0);
        if (v.state == LiveState::kFreed || superseded[i]) {
          result.freed++;
          continue;
        }
        p.objects[write++] = o;
        if (v.state == LiveState::kUnknown) {
          result.unknown++;
        } else if (o.alloc_sweepgen != TrackedObject::kUnknownSweepgen &&
                   static_cast<int32_t>(h - o.alloc_sweepgen) > 0) {
          result.retained++;
          auto& f = fresh[o.site];
          f.first++;
          f.second += o.bytes;
        } else {
          result.young++;
        }
      }
    }
    if (!readable) {
      // Its sites keep the figures of the last check that could read them.
      for (const Object& o : p.objects) stale.insert(o.site);
      PublishFigures(p.sites, fresh, stale, now_s);
      it = processes_.erase(it);
      continue;
    }
    p.objects.resize(write);
    p.objects.shrink_to_fit();
    PublishFigures(p.sites, fresh, stale, now_s);
    ++it;
  }
  checks_++;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  last_check_s_ = result.seconds;
  max_check_s_ = std::max(max_check_s_, result.seconds);
  return result;
}

}  // namespace goretain
