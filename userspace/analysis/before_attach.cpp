#include "userspace/analysis/before_attach.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>

#include "userspace/analysis/aggregator.h"

namespace goretain {
namespace {

struct Figures {
  double inuse_objects = 0, inuse_bytes = 0, alloc_objects = 0, alloc_bytes = 0;
  uint64_t inuse_samples = 0, alloc_samples = 0;
};

using SiteKey = std::tuple<Kind, std::string, std::string, int>;  // kind, function, file, line
// Rows are per process: a before-attach row joins the traced row of its own process.
using MergeKey = std::tuple<int, Kind, std::string, std::string, int>;  // pid, then as SiteKey

uint64_t Round(double v) { return static_cast<uint64_t>(std::llround(std::max(0.0, v))); }

// The function a `CALL rel32` ending at `return_address` calls, if there is one. Go calls every
// function directly with E8 rel32 on amd64.
std::string_view CalledFunction(const symbols::GoBinary& binary, uint64_t return_address) {
  const symbols::Function* caller = binary.FunctionAt(ElfVaddr{return_address - 1});
  if (!caller || return_address < caller->entry.value + 5) return {};
  const std::span<const uint8_t> code = binary.Code(*caller);
  const uint64_t at = return_address - 5 - caller->entry.value;
  if (at + 5 > code.size() || code[at] != 0xE8) return {};
  int32_t rel = 0;
  std::memcpy(&rel, code.data() + at + 1, sizeof rel);
  const symbols::Function* callee =
      binary.FunctionAt(ElfVaddr{return_address + static_cast<uint64_t>(static_cast<int64_t>(rel))});
  return callee ? callee->name : std::string_view{};
}

// The call site and kind of one bucket's stack; false if every frame is the runtime's. The
// runtime skips a varying number of its own frames when it records a stack (go1.19 drops the
// allocator that called mallocgc: growslice, makeslice, newobject), so the function the site's
// instruction calls counts among the runtime frames too.
bool SiteOf(const symbols::GoBinary& binary, const std::vector<uint64_t>& stack, SiteKey* key) {
  std::vector<std::string_view> runtime_functions;
  for (uint64_t pc : stack) {
    const symbols::Resolution res = binary.Resolve(ElfVaddr{pc}, symbols::PcKind::kReturnAddress);
    for (const symbols::Frame& f : res.frames) {
      if (IsRuntimeFrame(f)) {
        runtime_functions.push_back(f.function);
        continue;
      }
      if (&f == &res.frames.front()) {
        if (std::string_view callee = CalledFunction(binary, pc); IsRuntimeFunction(callee)) {
          runtime_functions.push_back(callee);
        }
      }
      *key = SiteKey{KindFromRuntimeFrames(runtime_functions), std::string(f.function),
                     std::string(f.file), f.line};
      return true;
    }
  }
  return false;
}

}  // namespace

Unsampled ScaleHeapSample(uint64_t count, uint64_t bytes, int64_t rate) {
  if (count == 0 || bytes == 0) return {};
  if (rate <= 1) return {static_cast<double>(count), static_cast<double>(bytes)};
  const double avg = static_cast<double>(bytes) / static_cast<double>(count);
  const double scale = 1 / (1 - std::exp(-avg / static_cast<double>(rate)));
  return {static_cast<double>(count) * scale, static_cast<double>(bytes) * scale};
}

Kind KindFromRuntimeFrames(const std::vector<std::string_view>& runtime_functions) {
  auto any = [&](auto pred) {
    return std::any_of(runtime_functions.begin(), runtime_functions.end(), pred);
  };
  // The collector's own allocations made inside the allocation that started or assisted a GC
  // cycle (mark workers, a sudog): charged to that line by the runtime, but not its make/append.
  if (any([](std::string_view f) {
        return f == "runtime.gcStart" || f == "runtime.gcBgMarkStartWorkers" ||
               f == "runtime.gcAssistAlloc" || f == "runtime.gcMarkDone";
      })) {
    return Kind::kOther;
  }
  // Growth first: growth paths also run the functions makemap uses.
  if (any([](std::string_view f) {
        return IsMapGrowthFunction(f) || f == "runtime.growWork" || f == "runtime.evacuate" ||
               f.starts_with("runtime.(*hmap).newoverflow") || f.starts_with("runtime.mapassign");
      })) {
    return Kind::kMapGrow;
  }
  if (any([](std::string_view f) {
        return IsMapRuntimeFunction(f) || f.starts_with("runtime.makemap") ||
               f == "runtime.makeBucketArray";
      })) {
    return Kind::kMapMake;
  }
  if (any([](std::string_view f) { return f == "runtime.growslice"; })) return Kind::kSliceGrow;
  if (any([](std::string_view f) {
        return f == "runtime.makeslice" || f == "runtime.makeslicecopy";
      })) {
    return Kind::kSliceMake;
  }
  return Kind::kOther;
}

std::vector<CallsiteRow> BeforeAttachRows(const symbols::GoBinary& binary, const std::string& exe,
                                          const ProfileSnapshot& snapshot) {
  const bool published = std::any_of(snapshot.buckets.begin(), snapshot.buckets.end(),
                                     [](const ProfileBucket& b) { return b.active.allocs > 0; });
  std::map<SiteKey, Figures> sites;
  for (const ProfileBucket& b : snapshot.buckets) {
    ProfileCycle c = b.active;
    if (!published) {  // the runtime's MemProfile does the same before the first GC
      for (const ProfileCycle& f : b.future) {
        c.allocs += f.allocs;
        c.frees += f.frees;
        c.alloc_bytes += f.alloc_bytes;
        c.free_bytes += f.free_bytes;
      }
    }
    if (c.allocs == 0) continue;
    SiteKey key;
    if (!SiteOf(binary, b.stack, &key)) continue;  // the runtime's own allocation
    const uint64_t inuse = c.allocs >= c.frees ? c.allocs - c.frees : 0;
    const uint64_t inuse_bytes = c.alloc_bytes >= c.free_bytes ? c.alloc_bytes - c.free_bytes : 0;
    const Unsampled in = ScaleHeapSample(inuse, inuse_bytes, snapshot.mem_profile_rate);
    const Unsampled all = ScaleHeapSample(c.allocs, c.alloc_bytes, snapshot.mem_profile_rate);
    Figures& f = sites[key];
    f.inuse_objects += in.objects;
    f.inuse_bytes += in.bytes;
    f.alloc_objects += all.objects;
    f.alloc_bytes += all.bytes;
    f.inuse_samples += inuse;
    f.alloc_samples += c.allocs;
  }
  std::vector<CallsiteRow> rows;
  rows.reserve(sites.size());
  for (const auto& [key, f] : sites) {
    CallsiteRow row;
    row.kind = std::get<0>(key);
    row.site = SourceFrame{std::get<1>(key), std::get<2>(key), std::get<3>(key)};
    row.exe = exe;
    row.before_attach = BeforeAttach{Round(f.inuse_objects), Round(f.inuse_bytes),
                                     Round(f.alloc_objects), Round(f.alloc_bytes),
                                     f.inuse_samples, f.alloc_samples};
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const CallsiteRow& a, const CallsiteRow& b) {
    return a.before_attach->inuse_bytes > b.before_attach->inuse_bytes;
  });
  return rows;
}

void MergeBeforeAttach(std::vector<CallsiteRow>& rows, const std::vector<CallsiteRow>& before) {
  std::map<MergeKey, size_t> traced;  // the largest traced row of each (kind, site)
  for (size_t i = 0; i < rows.size(); i++) {
    const CallsiteRow& r = rows[i];
    auto [it, added] = traced.try_emplace(MergeKey{r.pid, r.kind, r.site.function, r.site.file, r.site.line}, i);
    if (!added && r.alloc_bytes > rows[it->second].alloc_bytes) it->second = i;
  }
  for (const CallsiteRow& b : before) {
    auto it = traced.find(MergeKey{b.pid, b.kind, b.site.function, b.site.file, b.site.line});
    if (it != traced.end()) {
      rows[it->second].before_attach = b.before_attach;
    } else {
      rows.push_back(b);
    }
  }
}

}  // namespace goretain
