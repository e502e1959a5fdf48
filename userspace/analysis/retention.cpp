#include "userspace/analysis/retention.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <unordered_set>

namespace goretain {

double SiteRetention::GrowthBytesPerSecond() const {
  if (history.size() < 2) return 0;
  double mt = 0, mb = 0;
  for (const auto& [t, b] : history) {
    mt += t;
    mb += static_cast<double>(b);
  }
  mt /= static_cast<double>(history.size());
  mb /= static_cast<double>(history.size());
  double num = 0, den = 0;
  for (const auto& [t, b] : history) {
    num += (t - mt) * (static_cast<double>(b) - mb);
    den += (t - mt) * (t - mt);
  }
  return den > 0 ? num / den : 0;
}

bool SiteRetention::Leaking() const {
  if (!complete()) return false;
  // Checks before the call site held anything old enough to judge (its first cycles) say nothing
  // about a trend: the window starts at the first non-zero sample.
  size_t start = 0;
  while (start < history.size() && history[start].second == 0) start++;
  const size_t n = history.size() - start;
  if (n < kMinSamples) return false;
  const auto& h = history;
  const double first = static_cast<double>(h[start].second);
  const double last = static_cast<double>(h.back().second);
  const double min_rise = std::max(64.0 * 1024, 0.10 * first);
  if (last - first < min_rise) return false;
  if (h.back().first - h[start].first < kMinSpanSeconds) return false;
  // Over the later half of the window, at least R/2 and a quarter of the whole rise: a leak
  // keeps climbing at its pace (about half of its rise is there), while a line warming up
  // flattens. Tracking starts at attach, so even a line in steady state rises at first (its
  // first samples miss the objects made before attach), then shows only noise.
  const double middle = static_cast<double>(h[start + n / 2].second);
  if (last - middle < std::max(min_rise / 2, (last - first) / 4)) return false;
  // Still rising in every third of the window: a cache that fills up and then stays flat (a
  // bounded LRU warming up) is not a leak, however steep its start.
  const size_t third = n / 3;
  auto peak = [&](size_t from, size_t to) {
    uint64_t m = 0;
    for (size_t i = start + from; i < start + to; i++) m = std::max(m, h[i].second);
    return m;
  };
  const uint64_t a = peak(0, third), b = peak(third, n - third), c = peak(n - third, n);
  // And up at most checks: a container replaced or regrown now and then steps up and then sits
  // still; a leak climbs cycle after cycle.
  size_t rises = 0;
  for (size_t i = start + 1; i < h.size(); i++) {
    if (h[i].second > h[i - 1].second) rises++;
  }
  return GrowthBytesPerSecond() > 0 && b > a && c > b && rises * 4 >= (n - 1) * 3;
}

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
  if (site->addressed == 0) sites_.push_back(site);
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

void RetentionTracker::PublishFigures(const SiteTotals& fresh,
                                      const std::unordered_set<SiteRetention*>& stale,
                                      double now_s) {
  for (SiteRetention* site : sites_) {
    if (stale.count(site) && !fresh.count(site)) continue;
    auto f = fresh.find(site);
    site->retained_objects = f == fresh.end() ? 0 : f->second.first;
    site->retained_bytes = f == fresh.end() ? 0 : f->second.second;
    site->checked = true;
    site->history.emplace_back(now_s, site->retained_bytes);
    while (site->history.size() > SiteRetention::kHistory) site->history.pop_front();
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
      for (const Object& o : p.objects) stale.insert(o.site);
      it = processes_.erase(it);
      continue;
    }
    p.objects.resize(write);
    p.objects.shrink_to_fit();
    ++it;
  }
  PublishFigures(fresh, stale, now_s);
  checks_++;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  last_check_s_ = result.seconds;
  max_check_s_ = std::max(max_check_s_, result.seconds);
  return result;
}

}  // namespace goretain
