#include "userspace/analysis/sample_aggregator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>

#include "userspace/analysis/aggregator.h"
#include "userspace/analysis/exited_processes.h"
#include "userspace/analysis/leak_signal.h"
#include "userspace/analysis/sample_estimate.h"
#include "userspace/analysis/stack_pcs.h"
#include "userspace/goruntime/go_releases.h"

namespace goretain {
namespace {

uint64_t Mix(uint64_t h, uint64_t v) { return h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2)); }

bool StartsWithAny(std::string_view name, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return name.starts_with(p); });
}

SourceFrame ToSourceFrame(const symbols::Frame& f) {
  return SourceFrame{std::string(f.function), std::string(f.file), f.line};
}

// The runtime's sampler is told no type: rows of the same process, line and kind merge. (Rows are
// per process, as in exact mode: each carries its pid, hence its container's labels.)
using RowKey = std::tuple<int, int, std::string, std::string, int>;

}  // namespace

size_t SampleAggregator::SiteKeyHash::operator()(const SiteKey& k) const noexcept {
  return Mix(Mix(static_cast<uint64_t>(k.pid), k.pc), static_cast<uint64_t>(k.kind));
}

size_t SampleAggregator::ObjectKeyHash::operator()(const ObjectKey& k) const noexcept {
  return Mix(static_cast<uint64_t>(k.pid), k.addr);
}

void SampleAggregator::AddProcess(const TracedProcess& p, std::optional<uint64_t> rate) {
  processes_[p.pid] = Process{p, rate, 0, {}};
}

void SampleAggregator::SetRate(pid_t pid, uint64_t rate) {
  if (auto it = processes_.find(pid); it != processes_.end()) it->second.rate = rate;
}

std::vector<TracedProcess> SampleAggregator::ProcessesWithoutRate() const {
  std::vector<TracedProcess> out;
  for (const auto& [pid, p] : processes_) {
    if (!p.rate) out.push_back(p.traced);
  }
  return out;
}

std::optional<uint64_t> SampleAggregator::ReportedRate() const {
  std::optional<uint64_t> rate;
  for (const auto& [pid, p] : processes_) {
    if (p.rate) rate = std::max(rate.value_or(0), *p.rate);
  }
  return rate;
}

bool SampleAggregator::IsUserPc(const TracedBinary* b, uint64_t pc) {
  auto [it, inserted] = user_pc_cache_.try_emplace({b, pc}, false);
  if (inserted) {
    const auto res = b->binary->Resolve(ElfVaddr{pc}, symbols::PcKind::kReturnAddress);
    it->second = std::any_of(res.frames.begin(), res.frames.end(),
                             [](const symbols::Frame& f) { return !IsRuntimeFrame(f); });
  }
  return it->second;
}

uint32_t SampleAggregator::PathBitsAt(const TracedBinary* b, uint64_t pc) {
  auto [it, inserted] = path_bits_cache_.try_emplace({b, pc}, 0);
  if (!inserted) return it->second;
  uint32_t bits = 0;
  // Every logical frame at this return address (runtime helpers are often inlined).
  for (const auto& f : b->binary->Resolve(ElfVaddr{pc}, symbols::PcKind::kReturnAddress).frames) {
    const std::string_view fn = f.function;
    // The collector's own objects, made inside the allocation that started or assisted a cycle
    // (mark workers, sudogs): not the line's map or slice.
    if (fn == "runtime.gcStart" || fn == "runtime.gcBgMarkStartWorkers" ||
        fn == "runtime.gcAssistAlloc" || fn == "runtime.gcMarkDone") {
      bits |= kCollector;
    } else if (IsMapGrowthFunction(fn)) {
      bits |= kMapGrowth;
    } else if (StartsWithAny(fn, {"runtime.makemap", "internal/runtime/maps.NewMap",
                                  "internal/runtime/maps.NewEmptyMap"})) {
      bits |= kMapMake;
    } else if (IsMapRuntimeFunction(fn)) {
      bits |= kMapOther;
    } else if (StartsWithAny(fn, {"runtime.growslice", "runtime.moveSlice"})) {
      bits |= kGrowSlice;
    } else if (fn.starts_with("runtime.makeslice")) {  // makeslice, makeslicecopy, makeslice64
      bits |= kMakeSlice;
    }
  }
  it->second = bits;
  return bits;
}

Kind SampleAggregator::KindOf(const Process& p, const gr_event& e, uint32_t chosen) {
  uint32_t bits = 0;
  for (uint32_t i = 0; i < chosen; i++) bits |= PathBitsAt(p.traced.binary, e.stack[i] - p.traced.load_bias);
  if (bits & kCollector) return Kind::kOther;
  if (bits & kMapGrowth) return Kind::kMapGrow;
  if (bits & kMapMake) return Kind::kMapMake;
  if (bits & kMapOther) return Kind::kMapGrow;  // first bucket, overflow buckets (mapassign)
  if (bits & kGrowSlice) return Kind::kSliceGrow;
  if (bits & kMakeSlice) return Kind::kSliceMake;
  // `m := make([]T, n); copy(m, s)` of pointer-free T calls mallocgc from the user's code.
  if (chosen > 0) {
    const symbols::Function* fn =
        p.traced.binary->binary->FunctionAt(ElfVaddr{e.stack[chosen - 1] - p.traced.load_bias - 1});
    if (fn && fn->name == "runtime.mallocgc") return Kind::kSliceMake;
  }
  return Kind::kOther;
}

SampleAggregator::SizeCounts& SampleAggregator::StageOf(Site& s, uint64_t size) {
  return s.by_size[size];
}

void SampleAggregator::OnSample(Process& p, const gr_event& e, size_t size) {
  const GoRelease* release = FindGoRelease(p.traced.binary->plan.go_version);
  if (!release) return;
  const uint64_t addr = e.args[release->mprof_malloc_p_arg];
  const uint64_t bytes = e.args[release->mprof_malloc_p_arg + 1];
  const size_t available = (size - GR_EVENT_HEADER_SIZE) / sizeof(uint64_t);
  const uint32_t depth = std::min<uint32_t>(e.stack_depth, static_cast<uint32_t>(available));
  uint32_t chosen = depth;
  for (uint32_t i = 0; i < depth; i++) {
    if (IsUserPc(p.traced.binary, e.stack[i] - p.traced.load_bias)) {
      chosen = i;
      break;
    }
  }
  if (chosen == depth) return;  // the runtime's own allocation: no call site
  samples_++;
  const uint64_t pc = e.stack[chosen] - p.traced.load_bias;
  const Kind kind = KindOf(p, e, chosen);
  // A kind no row shows (other, without --kinds all) keeps no site: it would only take memory
  // and the cap's room. Its object is still recorded, so that its free is matched.
  Site* site = nullptr;
  if (kind != Kind::kOther || all_kinds_) {
    site = &SiteFor(p, SiteKey{p.traced.pid, pc, kind}, e, chosen, depth);
    SizeCounts& c = StageOf(*site, bytes);
    c.alloc++;
    c.young++;
  }
  // A free at this address always comes before the next sample there (the sweep frees the
  // special before the slot is reused); one still recorded had its free lost: forget it.
  auto [it, inserted] = objects_.try_emplace(ObjectKey{p.traced.pid, addr}, Object{});
  if (!inserted) OnFree(p, e);  // (reads the old object through `it` below)
  it->second = Object{site, bytes, p.cycles};
}

SampleAggregator::Site& SampleAggregator::SiteFor(Process& p, const SiteKey& key,
                                                  const gr_event& e, uint32_t chosen,
                                                  uint32_t depth) {
  if (auto it = sites_.find(key); it != sites_.end()) return *it->second;
  const bool kept = cap_.Admit(SiteKeyHash{}(key), sites_.size() - folded_sites_, true);
  // pc 0 is no return address: the folded site of this kind (and process).
  auto& slot = sites_[kept ? key : SiteKey{key.pid, 0, key.kind}];
  if (slot) return *slot;
  slot = std::make_unique<Site>();
  slot->pid = key.pid;
  slot->binary = p.traced.binary;
  slot->pc = kept ? key.pc : 0;
  slot->kind = key.kind;
  if (kept) {
    for (uint32_t i = chosen + 1; i < depth && slot->outer_pcs.size() < report_stack_depth_; i++) {
      slot->outer_pcs.push_back(e.stack[i] - p.traced.load_bias);
    }
  } else {
    folded_sites_++;
  }
  p.sites.push_back(slot.get());
  return *slot;
}

void SampleAggregator::OnFree(Process& p, const gr_event& e) {
  uint64_t addr = 0;
  if (e.func == GR_FUNC_FREE_SPECIAL) {
    const GoRelease* release = FindGoRelease(p.traced.binary->plan.go_version);
    if (!release) return;
    uint8_t kind = 0;
    std::memcpy(&kind, reinterpret_cast<const uint8_t*>(e.deref) + release->special_kind_off, 1);
    if (kind != release->special_profile_kind) return;  // a finalizer, weak handle, cleanup...
    addr = e.args[1];  // freeSpecial(s, p, size)
  } else {
    addr = e.args[FindGoRelease(p.traced.binary->plan.go_version)->mprof_malloc_p_arg];
  }
  auto it = objects_.find(ObjectKey{p.traced.pid, addr});
  if (it == objects_.end()) {
    unmatched_frees_++;  // sampled before goretain attached
    return;
  }
  const Object& o = it->second;
  if (o.site) {
    SizeCounts& c = StageOf(*o.site, o.size);
    const uint64_t age = p.cycles - o.epoch;
    uint64_t& stage = age == 0 ? c.young : age == 1 ? c.mid : c.settled;
    if (stage > 0) stage--;
  }
  if (e.func == GR_FUNC_FREE_SPECIAL) objects_.erase(it);
}

void SampleAggregator::OnCycle(Process& p, double now_s) {
  p.cycles++;
  const uint64_t rate = p.rate.value_or(kDefaultRate);
  for (Site* s : p.sites) {
    double bytes = 0;
    uint64_t samples = 0;
    for (auto& [size, c] : s->by_size) {
      c.settled += c.mid;
      c.mid = c.young;
      c.young = 0;
      bytes += UnsampleHeap(c.settled, c.settled * size, rate).bytes;
      samples += c.settled;
    }
    s->history.Add(now_s, static_cast<uint64_t>(std::llround(bytes)));
    s->last_settled_samples = samples;
  }
}

void SampleAggregator::OnEvent(const gr_event& e, size_t size) {
  received_++;
  auto pit = processes_.find(static_cast<pid_t>(e.pid));
  if (pit == processes_.end()) return;
  if (!first_ts_ns_) first_ts_ns_ = e.ts_ns;
  switch (e.kind) {
    case GR_KIND_GC:
      gc_cycles_++;
      OnCycle(pit->second, static_cast<double>(e.ts_ns - *first_ts_ns_) / 1e9);
      break;
    case GR_KIND_SAMPLE:
      OnSample(pit->second, e, size);
      break;
    case GR_KIND_SAMPLE_FREE:
      OnFree(pit->second, e);
      break;
    default:
      break;
  }
}

void SampleAggregator::ResolveRowSite(const Site& s, CallsiteRow& row) const {
  const ResolvedStack stack = ResolveStack(*s.binary->binary, s.pc, s.outer_pcs);
  const symbols::Resolution& res = stack.resolutions.front();
  auto user = std::find_if(res.frames.begin(), res.frames.end(),
                           [](const symbols::Frame& f) { return !IsRuntimeFrame(f); });
  if (user != res.frames.end()) {
    row.site = ToSourceFrame(*user);
    for (auto f = user + 1; f != res.frames.end() && row.stack.size() < report_stack_depth_; ++f) {
      row.stack.push_back(ToSourceFrame(*f));
    }
  } else {
    row.site.function = fmt::format("{:#x}", s.pc);
  }
  for (size_t i = 1; i < stack.resolutions.size() && row.stack.size() < report_stack_depth_; i++) {
    for (const auto& f : stack.resolutions[i].frames) {
      if (row.stack.size() >= report_stack_depth_) break;
      row.stack.push_back(ToSourceFrame(f));
    }
  }
  row.pcs = StackPcs(stack);
}

CallsiteRow SampleAggregator::RowOf(const Site& s, uint64_t rate) const {
  CallsiteRow row;
  row.kind = s.kind;
  row.pid = s.pid;
  row.exe = s.binary->exe_path;
  if (s.pc == 0) {  // call sites folded beyond --max-callsites
    row.site = SourceFrame{Aggregator::kFoldedFunction, "", 0};
  } else {
    ResolveRowSite(s, row);
  }
  SampleCounts samples;
  double alloc_objects = 0, alloc_bytes = 0, inuse_objects = 0, inuse_bytes = 0;
  for (const auto& [size, c] : s.by_size) {
    const SampleEstimate a = UnsampleHeap(c.alloc, c.alloc * size, rate);
    const uint64_t inuse = c.mid + c.settled;
    const SampleEstimate u = UnsampleHeap(inuse, inuse * size, rate);
    alloc_objects += a.objects;
    alloc_bytes += a.bytes;
    inuse_objects += u.objects;
    inuse_bytes += u.bytes;
    samples.alloc_objects += c.alloc;
    samples.inuse_objects += inuse;
  }
  row.alloc_objects = static_cast<uint64_t>(std::llround(alloc_objects));
  row.heap_objects = row.alloc_objects;
  row.alloc_bytes = static_cast<uint64_t>(std::llround(alloc_bytes));
  row.retained_objects = static_cast<uint64_t>(std::llround(inuse_objects));
  row.retained_bytes = static_cast<uint64_t>(std::llround(inuse_bytes));
  row.samples = samples;
  const auto history = s.history.Samples();
  row.retained_growth_bytes_per_s = GrowthBytesPerSecond(history);
  if (auto leak = JudgeLeak(history)) {
    // Noise is never a leak: the rise must exceed the settled estimate's sampling error.
    const double per_sample = s.last_settled_samples
        ? static_cast<double>(history.back().bytes) / static_cast<double>(s.last_settled_samples)
        : static_cast<double>(rate);
    if (RiseBeyondSamplingNoise(leak->rise_bytes, s.last_settled_samples, per_sample)) {
      row.leak = LeakFinding{leak->rise_bytes, leak->over_s, leak->rate_bytes_per_s};
      row.leaking = true;
    }
  }
  return row;
}

std::vector<CallsiteRow> SampleAggregator::Rows() const {
  // Rows are built in place, each site's merged into the first of its process, line and kind: a
  // report of 10,000 rows holds each row once (scripts/bench-long-run.sh).
  std::vector<CallsiteRow> rows;
  rows.reserve(sites_.size());
  std::map<RowKey, size_t> index;  // into rows
  for (const auto& [key, site] : sites_) {
    if (site->kind == Kind::kOther && !all_kinds_) continue;
    const auto pit = processes_.find(site->pid);
    const uint64_t rate = pit != processes_.end() && pit->second.rate
                              ? *pit->second.rate : kDefaultRate;
    CallsiteRow row = RowOf(*site, rate);
    auto [it, inserted] = index.try_emplace(RowKey{row.pid, static_cast<int>(row.kind),
                                                   row.site.function, row.site.file,
                                                   row.site.line},
                                            rows.size());
    if (inserted) {
      rows.push_back(std::move(row));
    } else {
      AddRowFigures(rows[it->second], row);
    }
  }
  // Leaking rows first, then by bytes allocated, then (for a stable order) by process, kind and
  // line.
  auto line_of = [](const CallsiteRow& r) {
    return std::tuple<int, int, const std::string&, const std::string&, int>(
        r.pid, static_cast<int>(r.kind), r.site.function, r.site.file, r.site.line);
  };
  std::sort(rows.begin(), rows.end(), [&](const CallsiteRow& a, const CallsiteRow& b) {
    if (a.leaking != b.leaking) return a.leaking;
    if (a.alloc_bytes != b.alloc_bytes) return a.alloc_bytes > b.alloc_bytes;
    return line_of(a) < line_of(b);
  });
  return rows;
}

}  // namespace goretain
