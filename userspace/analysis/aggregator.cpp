#include "userspace/analysis/aggregator.h"
#include "userspace/analysis/stack_pcs.h"
#include "userspace/analysis/retained_series.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

namespace goretain {
namespace {

// The BPF event kind as the report names it (GC events never become rows).
Kind ReportKind(gr_kind kind) {
  switch (kind) {
    case GR_KIND_MAP_GROW: return Kind::kMapGrow;
    case GR_KIND_SLICE_GROW: return Kind::kSliceGrow;
    case GR_KIND_SLICE_MAKE: return Kind::kSliceMake;
    default: return Kind::kMapMake;
  }
}

uint64_t Mix(uint64_t h, uint64_t v) {
  // splitmix64-style mixing: cheap and good enough for hash-map keys.
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

std::optional<uint64_t> ReadFileWord(const symbols::ElfFile& elf, uint64_t vaddr) {
  auto bytes = elf.BytesAt(ElfVaddr{vaddr}, 8);
  if (bytes.size() != 8) return std::nullopt;
  uint64_t v;
  std::memcpy(&v, bytes.data(), 8);
  return v;
}

SourceFrame ToSourceFrame(const symbols::Frame& f) {
  return SourceFrame{std::string(f.function), std::string(f.file), f.line};
}

// The innermost non-runtime frame at a return address, or nullopt if all frames are runtime.
std::optional<symbols::Frame> UserFrame(const symbols::GoBinary& bin, uint64_t pc) {
  auto res = bin.Resolve(ElfVaddr{pc}, symbols::PcKind::kReturnAddress);
  for (const auto& f : res.frames) {
    if (!IsRuntimeFrame(f)) return f;
  }
  return std::nullopt;
}

}  // namespace

bool IsRuntimeFunction(std::string_view name) {
  return name.starts_with("runtime.") || name.starts_with("internal/runtime/");
}

bool IsRuntimeFrame(const symbols::Frame& f) {
  if (IsRuntimeFunction(f.function)) return true;
  // Runtime code linknamed into other packages (maps.clone, syscall.runtime_envs, ...) keeps
  // its file: GOROOT/src/runtime/*.go ("runtime/*.go" with -trimpath).
  std::string_view file = f.file;
  const size_t slash = file.rfind('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view dir = file.substr(0, slash);
  return dir == "runtime" || dir.ends_with("/src/runtime") || dir == "internal/runtime/maps" ||
         dir.ends_with("/src/internal/runtime/maps");
}

bool IsMapGrowthFunction(std::string_view name) {
  constexpr std::string_view kGrowth[] = {
      "runtime.hashGrow",  // classic: the next bucket array
      "runtime.mapclone2", "internal/runtime/maps.(*Map).Clone",  // maps.Clone
      "internal/runtime/maps.(*table).rehash", "internal/runtime/maps.(*table).grow",
      "internal/runtime/maps.(*table).split",
      "internal/runtime/maps.(*Map).growToTable", "internal/runtime/maps.(*Map).growToSmall",
      "internal/runtime/maps.(*Map).installTableSplit", "internal/runtime/maps.(*table).clone",
  };
  return std::find(std::begin(kGrowth), std::end(kGrowth), name) != std::end(kGrowth);
}

bool IsMapRuntimeFunction(std::string_view name) {
  return name.starts_with("runtime.map") || name.starts_with("runtime.(*hmap).") ||
         name == "runtime.hashGrow" || name == "runtime.growWork" || name == "runtime.evacuate" ||
         name.starts_with("internal/runtime/maps.");
}

std::string MapTypeName(std::string name) {
  // The runtime names a map's bucket and group types "map.bucket[K]V" / "map.group[K]V".
  for (std::string_view prefix : {"map.bucket[", "map.group["}) {
    if (name.starts_with(prefix)) return "map[" + name.substr(prefix.size());
  }
  return name;
}

size_t Aggregator::SiteKeyHash::operator()(const SiteKey& k) const noexcept {
  uint64_t h = Mix(reinterpret_cast<uintptr_t>(k.binary), k.pc);
  return Mix(Mix(Mix(h, k.type), k.kind), k.pid);
}

size_t Aggregator::PcKeyHash::operator()(const PcKey& k) const noexcept {
  return Mix(reinterpret_cast<uintptr_t>(k.binary), k.pc);
}

bool Aggregator::IsUserPc(const TracedBinary* b, uint64_t pc) {
  auto [it, inserted] = user_pc_cache_.try_emplace(PcKey{b, pc}, false);
  if (inserted) it->second = UserFrame(*b->binary, pc).has_value();
  return it->second;
}

Aggregator::TypeInfo Aggregator::SizedTypeFromFile(const TracedProcess& p, const gr_event& e) {
  // The BPF read of the type descriptor can fail when its page is not yet mapped in the target;
  // compiled-in descriptors are in the file, so read them there (cached per descriptor).
  const uint64_t type = e.type_ptr - p.load_bias;
  // Probes whose type argument is a map type size their allocation by its bucket/group type.
  const bool is_map = e.func == GR_FUNC_MAKEMAP || e.func == GR_FUNC_MAKEMAP64 ||
                      e.func == GR_FUNC_HASHGROW || e.func == GR_FUNC_CALL_NEWTABLE ||
                      e.func == GR_FUNC_CALL_NEWGROUPS || e.func == GR_FUNC_CALL_NEWMAP;
  // (A map type is also the element type of a []map: the key tells the two lookups apart.)
  auto [it, inserted] = file_type_cache_.try_emplace(PcKey{p.binary, type | (is_map ? 1 : 0)});
  if (!inserted) return it->second;
  const symbols::ElfFile& elf = p.binary->binary->elf();
  uint64_t sized = type;
  if (is_map) {
    auto ptr = ReadFileWord(elf, type + 64);  // maptype.bucket / SwissMapType.Group
    if (!ptr) return it->second;
    sized = *ptr;  // Go's linker stores link-time addresses, also in PIE files (plus relocations)
  }
  auto size = ReadFileWord(elf, sized);
  auto ptrdata = ReadFileWord(elf, sized + 8);
  if (size && ptrdata) it->second = TypeInfo{*size, *ptrdata, true};
  return it->second;
}

AllocEstimate Aggregator::EventAlloc(const gr_event& e, const TracedProcess& p) {
  const GoAllocModel& m = p.binary->model;
  uint64_t size = e.sized_type_size, ptrdata = e.sized_type_ptrdata;
  if (size == 0 && e.type_ptr != 0) {
    TypeInfo t = SizedTypeFromFile(p, e);
    size = t.size;
    ptrdata = t.ptrdata;
  }
  const bool noscan = ptrdata == 0;
  const auto arg = [&](int i) { return static_cast<int64_t>(e.args[i]); };
  switch (e.func) {
    case GR_FUNC_MAKEMAP:
    case GR_FUNC_MAKEMAP64:
      // makemap(t, hint, h): h != nil means the compiler put the header on the stack.
      return m.MakeMap(arg(1), e.args[2] != 0, size, noscan);
    case GR_FUNC_MAKEMAP_SMALL:
      return m.MakeMapSmall();
    case GR_FUNC_GROWSLICE:
      if (e.abi == GR_ABI_GROWSLICE_117) {
        return m.GrowSlice(arg(3), arg(4), size, noscan);  // (et, old.ptr, old.len, old.cap, cap)
      }
      return m.GrowSlice(arg(2), arg(1), size, noscan);  // (oldPtr, newLen, oldCap, num, et)
    case GR_FUNC_HASHGROW:  // deref = the hmap header
      return m.HashGrowFromHeader(
          std::span(reinterpret_cast<const uint64_t*>(e.deref), GR_NUM_DEREF), size, noscan);
    case GR_FUNC_CALL_NEWOBJECT:
      return m.Malloc(size, noscan);
    case GR_FUNC_CALL_NEWARRAY:
      return m.Malloc(size * e.args[1], noscan);
    case GR_FUNC_CALL_MAKESLICE:
      return m.Malloc(size * e.args[2], noscan);
    case GR_FUNC_CALL_MALLOCGC:  // (size, typ, needzero): a nil typ is pointer-free memory
      return m.Malloc(e.args[0], e.args[1] == 0 || noscan);
    case GR_FUNC_CALL_NEWTABLE:
      return m.SwissNewTable(e.args[1], size, noscan);
    case GR_FUNC_CALL_NEWGROUPS:  // (typ, length): size is typ.Group's
      return m.Malloc(size * e.args[1], noscan);
    case GR_FUNC_CALL_NEWMAP:  // (mt, hint, m, maxAlloc): as make(map, hint)
      return m.MakeMap(arg(1), e.args[2] != 0, size, noscan);
    case GR_FUNC_MAKESLICE:  // (et, len, cap)
      return m.MakeSlice(arg(1), arg(2), size, noscan);
    case GR_FUNC_MAKESLICECOPY:  // (et, tolen, fromlen, from)
      return m.MakeSliceCopy(arg(1), size, noscan);
    case GR_FUNC_MOVESLICE:
      return m.MoveSlice(e.args[3], size, noscan, true);
    case GR_FUNC_MOVESLICE_NOSCAN:
      return m.MoveSlice(e.args[3], e.args[0], true, true);
    case GR_FUNC_MOVESLICE_NOCAP:
      return m.MoveSlice(e.args[2], size, noscan, false);
    case GR_FUNC_MOVESLICE_NOCAP_NOSCAN:
      return m.MoveSlice(e.args[2], e.args[0], true, false);
    default:
      return {};
  }
}

bool Aggregator::ReturnsInto(PcCache& cache, const TracedBinary* b, uint64_t pc,
                             bool (*is)(std::string_view function)) {
  auto [it, inserted] = cache.try_emplace(PcKey{b, pc}, false);
  if (inserted) {
    const symbols::Function* fn = b->binary->FunctionAt(ElfVaddr{pc - 1});
    it->second = fn && is(fn->name);
  }
  return it->second;
}

void Aggregator::OnEvent(const gr_event& e, size_t size) {
  received_++;
  auto pit = processes_.find(e.pid);
  if (pit == processes_.end()) {
    unattributed_++;
    return;
  }
  const TracedProcess& p = pit->second;
  if (e.kind == GR_KIND_GC) {
    gc_cycles_++;
    if (e.alloc_sweepgen & GR_SWEEPGEN_KNOWN) {
      gc_sweepgen_[static_cast<pid_t>(e.pid)] = static_cast<uint32_t>(e.alloc_sweepgen);
    }
    return;
  }
  // makeslice called by the runtime's map code (a Swiss directory) is part of a map's figures,
  // which its own probes count: not a make([]T) of the user's.
  if (e.kind == GR_KIND_SLICE_MAKE && e.stack_depth > 0 &&
      ReturnsInto(map_internal_pc_cache_, p.binary, e.stack[0] - p.load_bias, IsMapRuntimeFunction)) {
    return;
  }
  const bool is_assign = e.func == GR_FUNC_MAPASSIGN;
  const AllocEstimate alloc = is_assign ? AllocEstimate{} : EventAlloc(e, p);
  // Nothing reached the heap (stack-allocated map, zero-size elements): not an allocation.
  if (alloc.objects == 0 && !is_assign) return;

  const size_t available = (size - GR_EVENT_HEADER_SIZE) / sizeof(uint64_t);
  const uint32_t depth = std::min<uint32_t>(e.stack_depth, static_cast<uint32_t>(available));
  // The call site: the first return address whose innermost non-runtime frame exists. An
  // allocation with no such frame is the runtime's own (a goroutine's g, a timer): not reported.
  uint32_t chosen = depth;
  for (uint32_t i = 0; i < depth; i++) {
    if (IsUserPc(p.binary, e.stack[i] - p.load_bias)) {
      chosen = i;
      break;
    }
  }
  if (chosen == depth) {
    runtime_internal_++;
    return;
  }
  const uint64_t pc = e.stack[chosen] - p.load_bias;
  const uint64_t type = e.type_ptr ? e.type_ptr - p.load_bias : 0;
  uint32_t kind = e.kind;
  // growslice called by the runtime's map code (the overflow-bucket list of newoverflow) is map
  // growth at the user's assignment, not a slice the user appended to.
  if (kind == GR_KIND_SLICE_GROW &&
      ReturnsInto(map_internal_pc_cache_, p.binary, e.stack[0] - p.load_bias, IsMapRuntimeFunction)) {
    kind = GR_KIND_MAP_GROW;
  }
  const bool track_only = (e.flags & GR_PROBE_TRACK_ONLY) != 0;
  // One of makemap's (or hashGrow's) objects: map.grow when a growth function made it.
  if (track_only && IsMapGrowthPath(p, e, chosen)) kind = GR_KIND_MAP_GROW;
  SiteStats& s = Site(SiteKey{e.pid, p.binary, pc, type, kind}, /*allocation=*/!is_assign && !track_only);
  if (is_assign) {
    s.assigns++;
    return;
  }
  if (!track_only) {
    if (s.objects == 0 && report_stack_depth_ > 0) {
      for (uint32_t i = chosen + 1; i < depth && s.outer_pcs.size() < report_stack_depth_; i++) {
        s.outer_pcs.push_back(e.stack[i] - p.load_bias);
      }
    }
    s.objects++;
    s.heap_objects += alloc.objects;
    s.bytes += alloc.bytes;
  }
  // Counted here, its objects tracked by their own (GR_PROBE_TRACK_ONLY) events; or in flight
  // when tracing stopped (born after the last GC cycle: never retained yet).
  if (e.flags & (GR_PROBE_ACCOUNT_ONLY | GR_EVENT_FLUSHED)) return;
  // One object with its address: tracked until a GC frees it. Anything else cannot be judged.
  if (retention_ && e.obj_addr != 0 && alloc.objects == 1) {
    std::optional<uint32_t> sweepgen;
    if (e.alloc_sweepgen & GR_SWEEPGEN_KNOWN) sweepgen = static_cast<uint32_t>(e.alloc_sweepgen);
    retention_->Track(static_cast<pid_t>(e.pid), e.obj_addr, alloc.bytes, sweepgen, &s.retention);
  } else {
    s.retention.unaddressed++;
  }
}

Aggregator::SiteStats& Aggregator::Site(const SiteKey& key, bool allocation) {
  if (auto it = sites_.find(key); it != sites_.end()) return it->second;
  if (cap_.Admit(SiteKeyHash{}(key), sites_.size() - folded_rows_, allocation)) return sites_[key];
  // pc 0 is no return address: the folded row of this kind (and process).
  auto [it, added] = sites_.try_emplace(SiteKey{key.pid, key.binary, 0, 0, key.kind});
  if (added) folded_rows_++;
  return it->second;
}

bool Aggregator::IsMapGrowthPath(const TracedProcess& p, const gr_event& e, uint32_t chosen) {
  for (uint32_t i = 0; i < chosen; i++) {
    if (ReturnsInto(growth_pc_cache_, p.binary, e.stack[i] - p.load_bias, IsMapGrowthFunction)) {
      return true;
    }
  }
  return false;
}

namespace {

// The row's call site (innermost frame outside the runtime) and its outer frames up to `depth`:
// the inlined frames of the site's return address first, then those of the deeper ones.
void ResolveSite(const ResolvedStack& stack, uint32_t depth, CallsiteRow& row) {
  const symbols::Resolution& res = stack.resolutions.front();
  auto user = std::find_if(res.frames.begin(), res.frames.end(),
                           [](const symbols::Frame& f) { return !IsRuntimeFrame(f); });
  if (user != res.frames.end()) {
    row.site = ToSourceFrame(*user);
    for (auto f = user + 1; f != res.frames.end() && row.stack.size() < depth; ++f) {
      row.stack.push_back(ToSourceFrame(*f));
    }
  } else if (!res.frames.empty()) {
    row.site = ToSourceFrame(res.frames.front());
  } else {  // no symbol covers this PC
    row.site.function = fmt::format("{:#x}", stack.return_addresses.front());
  }
  for (size_t i = 1; i < stack.resolutions.size() && row.stack.size() < depth; i++) {
    for (const auto& f : stack.resolutions[i].frames) {
      if (row.stack.size() >= depth) break;
      row.stack.push_back(ToSourceFrame(f));
    }
  }
}

// What the user wrote: `[]T` for an append (the probe sees the element type T), the map's own
// type for map rows. Map growth also allocates runtime-internal objects (overflow lists,
// mapextra) whose types mean nothing to the user: those get no type (their rows merge into the
// line's map row).
std::string ReportedTypeName(const symbols::GoBinary& bin, uint64_t type_addr, bool is_map) {
  std::string type;
  if (type_addr) {
    if (auto name = bin.TypeName(ElfVaddr{type_addr})) type = *name;
  }
  if (!is_map) return type.empty() ? type : "[]" + type;
  type = MapTypeName(type);
  return type.starts_with("map[") ? type : std::string();
}

// Adds one part's retention to its row. Retention adds up only if every part of the row is
// known (`known`, and no earlier part was unjudged); once a part is not, the row has no figures.
void AddRetention(CallsiteRow& r, const SiteRetention& ret, bool known, bool& unjudged) {
  if (known && !unjudged) {
    r.retained_objects = r.retained_objects.value_or(0) + ret.retained_objects;
    r.retained_bytes = r.retained_bytes.value_or(0) + ret.retained_bytes;
    r.retained_growth_bytes_per_s =
        r.retained_growth_bytes_per_s.value_or(0) + ret.GrowthBytesPerSecond();
    r.retained_history = AddRetainedSeries(r.retained_history, ret.history.Samples(),
                                           CallsiteRow::kMaxRetainedHistory);
    // A row of several leaking parts shows the evidence of the one that rose most.
    if (auto leak = ret.Leak(); leak && (!r.leak || leak->rise_bytes > r.leak->rise_bytes)) {
      r.leak = LeakFinding{leak->rise_bytes, leak->over_s, leak->rate_bytes_per_s};
    }
    r.leaking = r.leak.has_value();
    return;
  }
  unjudged = true;
  r.retained_objects.reset();
  r.retained_bytes.reset();
  r.retained_growth_bytes_per_s.reset();
  r.retained_history.clear();
  r.leaking = false;
  r.leak.reset();
}

// Leaking call sites first (fastest growth first), then by bytes allocated.
void SortRows(std::vector<CallsiteRow>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const CallsiteRow& a, const CallsiteRow& b) {
    if (a.leaking != b.leaking) return a.leaking;
    if (a.leaking) {
      return a.retained_growth_bytes_per_s.value_or(0) > b.retained_growth_bytes_per_s.value_or(0);
    }
    return a.alloc_bytes > b.alloc_bytes;
  });
}

}  // namespace

std::vector<CallsiteRow> Aggregator::Rows() const { return BuildRows(std::nullopt); }

std::vector<CallsiteRow> Aggregator::RetireProcess(pid_t pid) {
  // Its figures as the report showed them, computed once; then nothing of it is left here.
  std::vector<CallsiteRow> rows = BuildRows(static_cast<uint32_t>(pid));
  if (retention_) retention_->RemoveProcess(pid);  // it points into the sites freed below
  std::erase_if(sites_, [&](const auto& entry) {
    if (entry.first.pid != static_cast<uint32_t>(pid)) return false;
    if (entry.first.pc == 0) folded_rows_--;  // a folded row of its own: not counted in the cap
    return true;
  });
  processes_.erase(static_cast<uint32_t>(pid));
  gc_sweepgen_.erase(pid);
  return rows;
}

std::vector<CallsiteRow> Aggregator::BuildRows(std::optional<uint32_t> only_pid) const {
  // Several PCs can share one source line (loop unrolling, two appends on a line): merge by what
  // the user sees.
  using RowKey = std::tuple<uint32_t, uint32_t, std::string, std::string, int, std::string>;
  std::map<RowKey, CallsiteRow> merged;
  std::set<RowKey> unjudged;  // rows with an allocation goretain could not track
  for (const auto& [key, stats] : sites_) {
    if (only_pid && key.pid != *only_pid) continue;
    const symbols::GoBinary& bin = *key.binary->binary;
    CallsiteRow row;
    row.kind = ReportKind(static_cast<gr_kind>(key.kind));
    row.exe = key.binary->exe_path;
    row.pid = static_cast<int>(key.pid);
    const bool is_map = key.kind != GR_KIND_SLICE_GROW && key.kind != GR_KIND_SLICE_MAKE;
    if (key.pc == 0) {  // call sites folded beyond --max-callsites
      row.site = SourceFrame{kFoldedFunction, "", 0};
    } else {
      const ResolvedStack stack = ResolveStack(bin, key.pc, stats.outer_pcs);  // each PC once
      ResolveSite(stack, report_stack_depth_, row);
      row.pcs = StackPcs(stack);
      row.type = ReportedTypeName(bin, key.type, is_map);
    }
    RowKey rk{key.pid, key.kind, row.site.function, row.site.file, row.site.line, is_map ? "" : row.type};
    auto [it, inserted] = merged.try_emplace(rk, std::move(row));  // moves only if inserted
    if (!inserted) {
      if (it->second.stack.empty()) it->second.stack = row.stack;
      if (it->second.type.empty()) it->second.type = row.type;
    }
    CallsiteRow& r = it->second;
    r.alloc_objects += stats.objects;
    r.heap_objects += stats.heap_objects;
    r.alloc_bytes += stats.bytes;
    r.assigns += stats.assigns;
    // A part with no allocation of its own to judge (assigns only; events whose objects are
    // tracked by other events) adds nothing either way.
    const SiteRetention& ret = stats.retention;
    if (ret.addressed == 0 && ret.unaddressed == 0) continue;
    bool row_unjudged = unjudged.contains(rk);
    AddRetention(r, ret, retention_ && ret.checked && ret.complete(), row_unjudged);
    if (row_unjudged) unjudged.insert(rk);
  }
  std::vector<CallsiteRow> rows;
  rows.reserve(merged.size());
  for (auto& [k, r] : merged) rows.push_back(std::move(r));
  SortRows(rows);
  return rows;
}

}  // namespace goretain
