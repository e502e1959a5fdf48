#include "userspace/goruntime/probe_plan.h"

#include <fmt/format.h>

#include <functional>
#include <unordered_map>

#include "userspace/goruntime/x86_code.h"
#include "userspace/goruntime/x86_decoder.h"

namespace goretain {
namespace {

// Offsets inside runtime._type / internal/abi.Type (identical go1.17 .. go1.27, §3.1).
constexpr uint32_t kTypeSizeOffset = 0;
constexpr uint32_t kTypePtrdataOffset = 8;
// maptype.bucket (classic) and abi.SwissMapType.Group (Swiss) are both at offset 64.
constexpr int32_t kMapTypeSizedTypeOffset = 64;

constexpr uint64_t kCallRel32Length = 5;  // E8 rel32: what FindCalls finds

// A probe at a function's entry (on its stack-check JBE when it has one).
struct EntryProbe {
  const char* symbol;
  bool required;
  gr_probe_spec spec;
};

// Probes on every `CALL callee` inside `container`: the allocations a runtime map function makes
// while growing a map. Each probe only fires on the path that allocates.
struct CallProbe {
  const char* callee;
  gr_probe_spec spec;
};

gr_probe_spec Spec(gr_kind kind, gr_func func, gr_abi abi, uint8_t type_arg, int32_t sized_off) {
  gr_probe_spec s{};
  s.kind = kind;
  s.func = func;
  s.abi = abi;
  s.type_arg = type_arg;
  s.deref_arg = GR_NO_ARG;
  s.sized_type_ptr_off = sized_off;
  s.type_size_off = kTypeSizeOffset;
  s.type_ptrdata_off = kTypePtrdataOffset;
  return s;
}

gr_probe_spec WithDeref(gr_probe_spec s, uint8_t arg, uint32_t off, uint8_t words) {
  s.deref_arg = arg;
  s.deref_off = off;
  s.deref_words = words;
  return s;
}

constexpr const char* kMapAssignFunctions[] = {
    "runtime.mapassign",        "runtime.mapassign_fast32",  "runtime.mapassign_fast64",
    "runtime.mapassign_fast64ptr", "runtime.mapassign_faststr",
};

// Register order (ABIInternal): args[0]=RAX, [1]=RBX, [2]=RCX, [3]=RDI, [4]=RSI.
std::vector<EntryProbe> EntryProbesFor(const symbols::GoVersion& v, bool swiss,
                                       const PlanOptions& opts) {
  const bool new_growslice = GoReleaseRules(v).growslice_120_abi;
  std::vector<EntryProbe> probes = {
      // makemap(t *maptype, hint int, h *hmap) *hmap
      {"runtime.makemap", true,
       Spec(GR_KIND_MAP_MAKE, GR_FUNC_MAKEMAP, GR_ABI_DEFAULT, 0, kMapTypeSizedTypeOffset)},
      // makemap_small() *hmap
      {"runtime.makemap_small", false,
       Spec(GR_KIND_MAP_MAKE, GR_FUNC_MAKEMAP_SMALL, GR_ABI_DEFAULT, GR_NO_ARG, -1)},
      // makemap64(t *maptype, hint int64, h *hmap) *hmap: usually dead-code-eliminated on 64-bit
      {"runtime.makemap64", false,
       Spec(GR_KIND_MAP_MAKE, GR_FUNC_MAKEMAP64, GR_ABI_DEFAULT, 0, kMapTypeSizedTypeOffset)},
      // go1.17-1.19: growslice(et *_type, old slice, cap int) slice        (et in RAX)
      // go1.20+:     growslice(oldPtr, newLen, oldCap, num int, et *_type)  (et in RSI)
      {"runtime.growslice", true,
       Spec(GR_KIND_SLICE_GROW, GR_FUNC_GROWSLICE,
            new_growslice ? GR_ABI_GROWSLICE_120 : GR_ABI_GROWSLICE_117,
            new_growslice ? 4 : 0, -1)},
      // go1.26+: escaping appends built in a stack buffer reach the heap here, not via growslice.
      {"runtime.moveSlice", false, Spec(GR_KIND_SLICE_GROW, GR_FUNC_MOVESLICE, GR_ABI_DEFAULT, 0, -1)},
      {"runtime.moveSliceNoScan", false,
       Spec(GR_KIND_SLICE_GROW, GR_FUNC_MOVESLICE_NOSCAN, GR_ABI_DEFAULT, GR_NO_ARG, -1)},
      {"runtime.moveSliceNoCap", false,
       Spec(GR_KIND_SLICE_GROW, GR_FUNC_MOVESLICE_NOCAP, GR_ABI_DEFAULT, 0, -1)},
      {"runtime.moveSliceNoCapNoScan", false,
       Spec(GR_KIND_SLICE_GROW, GR_FUNC_MOVESLICE_NOCAP_NOSCAN, GR_ABI_DEFAULT, GR_NO_ARG, -1)},
      // makeslice(et *_type, len, cap int): make([]T, n[, m]) on the heap. (makeslice64 calls it;
      // the runtime's map code's calls are dropped by the aggregator: their maps count them.)
      {"runtime.makeslice", false, Spec(GR_KIND_SLICE_MAKE, GR_FUNC_MAKESLICE, GR_ABI_DEFAULT, 0, -1)},
      // makeslicecopy(et *_type, tolen, fromlen int, from unsafe.Pointer): make + copy.
      {"runtime.makeslicecopy", false,
       Spec(GR_KIND_SLICE_MAKE, GR_FUNC_MAKESLICECOPY, GR_ABI_DEFAULT, 0, -1)},
  };
  // Once per GC cycle: counts completed cycles without any per-allocation cost.
  probes.push_back({"runtime.gcMarkTermination", false,
                    Spec(GR_KIND_GC, GR_FUNC_GC_MARK_TERMINATION, GR_ABI_DEFAULT, GR_NO_ARG, -1)});
  if (!swiss) {
    // hashGrow(t *maptype, h *hmap): the model needs h.count @0 and h.B @9.
    const uint8_t words = 2;
    probes.push_back({"runtime.hashGrow", false,
                      WithDeref(Spec(GR_KIND_MAP_GROW, GR_FUNC_HASHGROW, GR_ABI_DEFAULT, 0,
                                     kMapTypeSizedTypeOffset),
                                1, 0, words)});
  }
  if (opts.addresses) {
    // makemap's and hashGrow's objects are tracked one by one from the calls that allocate them
    // (TrackContainersFor); these events keep counting calls and modelled bytes.
    for (EntryProbe& p : probes) {
      if (p.spec.func == GR_FUNC_MAKEMAP || p.spec.func == GR_FUNC_MAKEMAP64 ||
          p.spec.func == GR_FUNC_HASHGROW) {
        p.spec.flags |= GR_PROBE_ACCOUNT_ONLY;
      }
    }
  }
  if (opts.assigns) {
    for (const char* fn : kMapAssignFunctions) {
      probes.push_back({fn, false, Spec(GR_KIND_MAP_GROW, GR_FUNC_MAPASSIGN, GR_ABI_DEFAULT, 0, -1)});
    }
  }
  return probes;
}

// Runtime functions whose allocation calls are map growth.
std::vector<const char*> GrowthContainersFor(bool swiss) {
  std::vector<const char*> c(std::begin(kMapAssignFunctions), std::end(kMapAssignFunctions));
  if (!swiss) {
    // First bucket and indirect keys/values in mapassign*; overflow buckets (and the mapextra /
    // overflow-list headers of createOverflow, when not inlined) in newoverflow, which the
    // incremental evacuation also calls; hashGrow's h.extra. (hashGrow's bucket array comes from
    // its entry probe and the model: makeBucketArray is shared with makemap.)
    for (const char* fn : {"runtime.hashGrow", "runtime.(*hmap).newoverflow",
                           "runtime.(*hmap).createOverflow",
                           "runtime.evacuate", "runtime.evacuate_fast32", "runtime.evacuate_fast64",
                           "runtime.evacuate_faststr", "runtime.growWork", "runtime.growWork_fast32",
                           "runtime.growWork_fast64", "runtime.growWork_faststr"}) {
      c.push_back(fn);
    }
    return c;
  }
  // maps.Clone: go1.24 makes the copy with NewMap in mapclone2; go1.25+ copies the directory,
  // tables and groups directly.
  for (const char* fn : {"runtime.mapclone2", "internal/runtime/maps.(*Map).Clone",
                         "internal/runtime/maps.(*table).clone", "internal/runtime/maps.cloneGroup",
                         "internal/runtime/maps.(*Map).growToSmall",
                         "internal/runtime/maps.(*Map).growToTable",
                         "internal/runtime/maps.(*table).grow", "internal/runtime/maps.(*table).split",
                         "internal/runtime/maps.(*Map).installTableSplit",
                         "internal/runtime/maps.(*Map).putSlotSmall",
                         "internal/runtime/maps.(*table).uncheckedPutSlot",
                         "internal/runtime/maps.(*table).PutSlot",
                         // go1.27+: the first insert past a small map's 8 slots puts the key
                         // into the new table here (indirect keys and values: newobject)
                         "internal/runtime/maps.(*table).uncheckedPutSlotForAssign"}) {
    c.push_back(fn);
  }
  return c;
}

// --retained: the runtime functions whose allocations are parts of one modelled event (a map's
// header, bucket array and mapextra from makemap; hashGrow's array; Swiss NewMap's Map and
// directory, newTable's table and its groups). A probe on each allocating CALL in them, with a
// completion, tracks each object (GR_PROBE_TRACK_ONLY); the event that models them counts.
std::vector<const char*> TrackContainersFor(bool swiss) {
  if (!swiss) return {"runtime.makemap", "runtime.makemap64", "runtime.makeBucketArray"};
  return {"runtime.makemap", "runtime.makemap64", "internal/runtime/maps.NewMap",
          "internal/runtime/maps.newTable", "internal/runtime/maps.(*table).reset"};
}

std::vector<CallProbe> GrowthCallees() {
  const auto grow = [](gr_func f, uint8_t type_arg, int32_t sized_off) {
    return Spec(GR_KIND_MAP_GROW, f, GR_ABI_DEFAULT, type_arg, sized_off);
  };
  return {
      {"runtime.newobject", grow(GR_FUNC_CALL_NEWOBJECT, 0, -1)},             // (typ)
      {"internal/runtime/maps.newobject", grow(GR_FUNC_CALL_NEWOBJECT, 0, -1)},
      {"runtime.newarray", grow(GR_FUNC_CALL_NEWARRAY, 0, -1)},               // (typ, n)
      {"internal/runtime/maps.newarray", grow(GR_FUNC_CALL_NEWARRAY, 0, -1)},
      {"runtime.makeslice", grow(GR_FUNC_CALL_MAKESLICE, 0, -1)},             // (et, len, cap)
      {"runtime.mallocgc", grow(GR_FUNC_CALL_MALLOCGC, 1, -1)},               // (size, typ, zero)
      {"internal/runtime/maps.newTable",                                     // (mt, capacity, ..)
       grow(GR_FUNC_CALL_NEWTABLE, 0, kMapTypeSizedTypeOffset)},
      // newGroups(typ *abi.SwissMapType, length uint64): out of line only when not inlined
      // (-gcflags=-l); growToSmall then calls it instead of maps.newarray.
      {"internal/runtime/maps.newGroups", grow(GR_FUNC_CALL_NEWGROUPS, 0, kMapTypeSizedTypeOffset)},
      // NewMap(mt, hint, m, maxAlloc): called directly by go1.24's mapclone2 (maps.Clone).
      {"internal/runtime/maps.NewMap", grow(GR_FUNC_CALL_NEWMAP, 0, kMapTypeSizedTypeOffset)},
  };
}

// One address, one probe: the probe already planned at `at`, if any.
PlannedProbe* ProbeAt(ProbePlan& plan, ElfVaddr at) {
  for (auto& p : plan.probes) {
    if (p.address == at) return &p;
  }
  return nullptr;
}

bool AddressIsFree(ProbePlan& plan, ElfVaddr at) { return ProbeAt(plan, at) == nullptr; }

// The entry probe of `symbol` (not one of the call probes inside it), if planned.
std::optional<size_t> EntryProbeIndex(const ProbePlan& plan, std::string_view symbol) {
  for (size_t i = 0; i < plan.probes.size(); i++) {
    if (plan.probes[i].symbol == symbol && !(plan.probes[i].spec.flags & GR_PROBE_MID_FUNCTION)) {
      return i;
    }
  }
  return std::nullopt;
}

// Callees that allocate several objects per call (a Swiss table and its groups; a whole map):
// with --retained they are counted where called and tracked inside (TrackContainersFor).
bool IsMultiObjectCall(const CallProbe& c) {
  return c.spec.func == GR_FUNC_CALL_NEWTABLE || c.spec.func == GR_FUNC_CALL_NEWMAP;
}

// A probe on an allocating CALL inside a body (not a completion, not an entry).
bool IsCallProbe(const gr_probe_spec& s) {
  return (s.flags & GR_PROBE_MID_FUNCTION) && !(s.flags & GR_PROBE_COMPLETES);
}

// A CALL that is also the first emulated instruction after the previous allocating CALL (Swiss
// split's two newTable calls): one probe completes the previous allocation, then makes the next.
void MergeCompletion(gr_probe_spec& call, const gr_probe_spec& completion) {
  call.flags |= (completion.flags & (GR_PROBE_COMPLETES | GR_PROBE_SAME_FRAME)) |
                GR_PROBE_THEN_ALLOCATES;
  call.value_reg = completion.value_reg;
  call.value_sp_off = completion.value_sp_off;
  call.frame_sp_delta = completion.frame_sp_delta;
}

using AddProbe = std::function<Status(const std::string&, ElfVaddr, ElfVaddr, bool, gr_probe_spec)>;

// A probe on every CALL to one of `callees` inside each of `containers`, and with `addresses` a
// completion in the same frame right after it.
Status AddCallProbes(ProbePlan& plan, const symbols::GoBinary& binary,
                     const std::vector<const char*>& containers,
                     const std::vector<CallProbe>& callees, bool addresses, const AddProbe& add) {
  std::vector<uint64_t> callee_entries;
  std::vector<const CallProbe*> callee_of_entry;
  for (const CallProbe& c : callees) {
    if (const symbols::Function* fn = binary.FindFunction(c.callee)) {
      callee_entries.push_back(fn->entry.value);
      callee_of_entry.push_back(&c);
    }
  }
  X86Decoder decoder;
  for (const char* container : containers) {
    const symbols::Function* fn = binary.FindFunction(container);
    if (!fn) continue;
    for (const auto& [call, rv] :
         FindCallResults(decoder, binary.Code(*fn), fn->entry.value, callee_entries)) {
      const size_t i = std::find(callee_entries.begin(), callee_entries.end(), call.target) -
                       callee_entries.begin();
      gr_probe_spec spec = callee_of_entry[i]->spec;
      spec.flags |= GR_PROBE_MID_FUNCTION;
      const std::string name = fmt::format("{} -> {}", container, callee_of_entry[i]->callee);
      const ElfVaddr at = fn->entry + call.offset;
      size_t index = plan.probes.size();
      if (PlannedProbe* existing = ProbeAt(plan, at)) {
        // Only a plain completion can share the address (it then makes this allocation too).
        if (IsCallProbe(existing->spec) || (existing->spec.flags & GR_PROBE_THEN_ALLOCATES) ||
            !(existing->spec.flags & GR_PROBE_COMPLETES)) {
          continue;
        }
        spec.runtime_lo = existing->spec.runtime_lo;
        spec.runtime_hi = existing->spec.runtime_hi;
        MergeCompletion(spec, existing->spec);
        existing->spec = spec;
        existing->symbol += ", then " + name;
        index = static_cast<size_t>(existing - plan.probes.data());
      } else if (auto s = add(name, fn->entry, at, false, spec); !s) {
        return s;
      }
      // Counted only (its objects are tracked by other probes): no address needed.
      if (!addresses || (spec.flags & GR_PROBE_ACCOUNT_ONLY)) continue;
      if (rv) AddCompletion(plan, binary, *fn, *rv, index, 0);
    }
  }
  plan.decoded_instructions += decoder.decoded();
  return Ok{};
}

// For the entry probes of `callees`, functions that return their one allocated object at once
// (makemap_small, makeslice): a completion after each CALL to one of them, in every function of
// the binary, where the caller can be seen to hold the result. A caller where it cannot be placed
// leaves its events without an address (its lines are not judged); the SP check keeps any other
// frame's event out. Cost: one byte scan of the text per callee, then ONE decode of each function
// that may call any of them (thousands in a large server), reported through opts.progress.
void AddCallerCompletions(ProbePlan& plan, const symbols::GoBinary& binary,
                          const std::vector<std::string>& callees, const PlanOptions& opts) {
  std::vector<uint64_t> targets;
  std::unordered_map<uint64_t, size_t> alloc_index_of;  // callee entry -> its entry probe
  for (const std::string& callee : callees) {
    const symbols::Function* target = binary.FindFunction(callee);
    const std::optional<size_t> alloc_index = EntryProbeIndex(plan, callee);
    if (!target || !alloc_index) continue;
    targets.push_back(target->entry.value);
    alloc_index_of[target->entry.value] = *alloc_index;
  }
  if (targets.empty()) return;
  std::vector<const symbols::Function*> callers;
  for (const symbols::Function& fn : binary.functions()) {
    for (const uint64_t t : targets) {
      if (MayCall(binary.Code(fn), fn.entry.value, t)) {
        callers.push_back(&fn);
        break;
      }
    }
  }
  X86Decoder decoder;
  constexpr size_t kProgressEvery = 64;
  for (size_t done = 0; done < callers.size(); done++) {
    if (opts.progress && done % kProgressEvery == 0) opts.progress({done, callers.size()});
    const symbols::Function& fn = *callers[done];
    for (const auto& [call, rv] : FindCallResults(decoder, binary.Code(fn), fn.entry.value, targets)) {
      // Reached only from this call: no event from another path waits at that instruction.
      if (!rv || rv->reachable_elsewhere) continue;
      const size_t alloc_index = alloc_index_of.at(call.target);
      // The callee's RET popped its return address: SP is 8 above the SP at its entry probe.
      if (AddCompletion(plan, binary, fn, *rv, alloc_index, 8)) {
        plan.stash_callers.push_back(
            StashCaller{alloc_index, fn.entry + call.offset + kCallRel32Length});
      }
    }
  }
  if (opts.progress) opts.progress({callers.size(), callers.size()});
  plan.decoded_instructions += decoder.decoded();
  // Calls from anywhere else are sent at once instead of waiting for a completion.
  for (const auto& [entry, alloc_index] : alloc_index_of) {
    plan.probes[alloc_index].spec.flags |= GR_PROBE_STASH_KNOWN_CALLERS;
  }
}

}  // namespace

bool AddCompletion(ProbePlan& plan, const symbols::GoBinary& binary, const symbols::Function& fn,
                   const ReturnValueProbe& rv, size_t alloc_index,
                   std::optional<int32_t> frame_sp_delta) {
  const ElfVaddr at = fn.entry + rv.offset;
  PlannedProbe* existing = ProbeAt(plan, at);
  // Another allocating CALL can be the first emulated instruction: its probe does both.
  if (existing && (!IsCallProbe(existing->spec) || (existing->spec.flags & GR_PROBE_THEN_ALLOCATES) ||
                   existing == &plan.probes[alloc_index])) {
    return false;
  }
  auto off = binary.elf().ToFileOffset(at);
  if (!off) return false;
  PlannedProbe& alloc = plan.probes[alloc_index];
  gr_probe_spec spec = alloc.spec;
  spec.flags = GR_PROBE_COMPLETES | GR_PROBE_MID_FUNCTION;
  if (frame_sp_delta) {
    spec.flags |= GR_PROBE_SAME_FRAME;
    spec.frame_sp_delta = *frame_sp_delta;
  }
  spec.value_reg = rv.where.in_register ? rv.where.reg : GR_VALUE_IN_STACK;
  spec.value_sp_off = rv.where.sp_offset;
  if (!(alloc.spec.flags & GR_PROBE_STASH)) plan.addressed++;
  alloc.spec.flags |= GR_PROBE_STASH;
  if (existing) {
    MergeCompletion(existing->spec, spec);
    existing->completes = static_cast<int>(alloc_index);
    existing->symbol = alloc.symbol + " (address), then " + existing->symbol;
    return true;
  }
  PlannedProbe completion{alloc.symbol + " (address)", fn.entry, at, *off, false, spec};
  completion.completes = static_cast<int>(alloc_index);
  plan.probes.push_back(std::move(completion));
  return true;
}

void AddNestedCompletions(ProbePlan& plan, const symbols::GoBinary& binary,
                          const std::string& entry_symbol, const std::string& allocating_fn,
                          const std::vector<std::string>& allocators) {
  const std::optional<size_t> alloc_index = EntryProbeIndex(plan, entry_symbol);
  const symbols::Function* fn = binary.FindFunction(allocating_fn);
  if (!alloc_index || !fn) return;
  std::vector<uint64_t> targets;
  for (const auto& a : allocators) {
    if (const symbols::Function* f = binary.FindFunction(a)) targets.push_back(f->entry.value);
  }
  X86Decoder decoder;
  const auto calls = FindCallResults(decoder, binary.Code(*fn), fn->entry.value, targets);
  plan.decoded_instructions += decoder.decoded();
  // Every allocating path must report its address, or none is used: an event left pending
  // would wait for a completion that never comes.
  std::vector<ReturnValueProbe> found;
  for (const auto& [call, rv] : calls) {
    if (!rv || rv->reachable_elsewhere || !AddressIsFree(plan, fn->entry + rv->offset)) return;
    found.push_back(*rv);
  }
  for (const auto& rv : found) AddCompletion(plan, binary, *fn, rv, *alloc_index, std::nullopt);
}

namespace {
const char* Placement(const PlannedProbe& p) {
  if (p.on_stack_check) return "stack-check JBE";
  if (p.spec.flags & GR_PROBE_THEN_ALLOCATES) return "address, then call";
  if (p.spec.flags & GR_PROBE_COMPLETES) return "address";
  if (p.spec.flags & GR_PROBE_MID_FUNCTION) return "call";
  return "entry";
}
}  // namespace

std::string ProbePlan::Describe() const {
  std::string out = fmt::format("probe plan for {} ({} maps, {} probes, {} with addresses)",
                                go_version.raw, swiss_maps ? "Swiss" : "classic", probes.size(),
                                addressed);
  for (const auto& p : probes) {
    out += fmt::format("\n  {:<48} entry {:#x} probe {:#x} (+{}, {}) file offset {:#x}", p.symbol,
                       p.function_entry.value, p.address.value, p.address - p.function_entry,
                       Placement(p), p.file_offset.value);
  }
  return out;
}

namespace {

// Go releases goretain knows: the register ABI (go1.17) up to the newest verified layouts.
Status CheckSupported(const symbols::GoVersion& v, const std::string& path) {
  if (v.major == 0) {
    return MakeError(ErrorCode::kUnsupported, "cannot tell the Go version of " + path + " (no build info)");
  }
  if (!v.AtLeast(1, kMinGoMinor)) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("{} is not supported: goretain needs go1.{} or later (register ABI)",
                                 v.raw, kMinGoMinor));
  }
  if (v.AtLeast(1, kMaxGoMinor + 1)) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("{} is newer than goretain knows (go1.{} at most): its runtime "
                                 "layouts are unverified (hint: upgrade goretain)",
                                 v.raw, kMaxGoMinor));
  }
  return Ok{};
}

// The runtime's code range, for the BPF frame walk (see gr_probe_spec.runtime_lo).
std::pair<uint64_t, uint64_t> RuntimeCodeRange(const symbols::GoBinary& binary) {
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const symbols::Function& fn : binary.functions()) {
    if (fn.name.starts_with("runtime.") || fn.name.starts_with("internal/runtime/")) {
      lo = std::min(lo, fn.entry.value);
      hi = std::max(hi, fn.end.value);
    }
  }
  return {lo, hi};
}

// Entry probes on the allocators, on the JBE of their stack check where they have one.
Status AddEntryProbes(const symbols::GoBinary& binary, bool swiss, const PlanOptions& opts,
                      const AddProbe& add) {
  const symbols::GoVersion& v = binary.build_info().go_version;
  for (const EntryProbe& t : EntryProbesFor(v, swiss, opts)) {
    const symbols::Function* fn = binary.FindFunction(t.symbol);
    if (!fn) {
      if (t.required) {
        return MakeError(ErrorCode::kUnsupported,
                         fmt::format("{} has no {} function", binary.elf().path(), t.symbol));
      }
      continue;
    }
    gr_probe_spec spec = t.spec;
    ElfVaddr at = fn->entry;
    const auto branch = FindStackCheckBranch(binary.Code(*fn));
    if (branch) {
      at = fn->entry + branch->offset;
      spec.flags |= GR_PROBE_ON_STACK_CHECK_JBE;
    }
    if (auto s = add(t.symbol, fn->entry, at, branch.has_value(), spec); !s) return s.error();
  }
  return Ok{};
}

// `m := make([]T, len(s)); copy(m, s)` of pointer-free elements compiles to a direct
// `CALL runtime.mallocgc(size, nil, false)` in the user's own function: a probe on each such CALL
// outside the runtime's code (GR_PROBE_AT_CALL: the call site is that CALL), kind slice.make,
// and with `addresses` a completion in the same frame.
Status AddDirectMallocCalls(ProbePlan& plan, const symbols::GoBinary& binary, bool addresses,
                            const AddProbe& add) {
  const symbols::Function* mallocgc = binary.FindFunction("runtime.mallocgc");
  if (!mallocgc) return Ok{};
  const auto [runtime_lo, runtime_hi] = RuntimeCodeRange(binary);
  const uint64_t targets[] = {mallocgc->entry.value};
  for (const symbols::Function& fn : binary.functions()) {
    if (fn.entry.value >= runtime_lo && fn.entry.value < runtime_hi) continue;
    const auto code = binary.Code(fn);
    if (!MayCall(code, fn.entry.value, targets[0])) continue;
    for (const CallInstruction& call : FindCalls(code, fn.entry.value, targets)) {
      gr_probe_spec spec = Spec(GR_KIND_SLICE_MAKE, GR_FUNC_CALL_MALLOCGC, GR_ABI_DEFAULT, 1, -1);
      spec.flags |= GR_PROBE_MID_FUNCTION | GR_PROBE_AT_CALL;
      const ElfVaddr at = fn.entry + call.offset;
      if (!AddressIsFree(plan, at)) continue;
      const size_t index = plan.probes.size();
      if (auto s = add(std::string(fn.name) + " -> runtime.mallocgc", fn.entry, at, false, spec);
          !s) {
        return s;
      }
      if (!addresses) continue;
      if (auto rv = FindReturnValueProbe(code, fn.entry.value, call.offset)) {
        AddCompletion(plan, binary, fn, *rv, index, 0);
      }
    }
  }
  return Ok{};
}

}  // namespace

Status CheckPlannableRelease(const symbols::GoBinary& binary) {
  return CheckSupported(binary.build_info().go_version, binary.elf().path());
}

std::pair<uint64_t, uint64_t> RuntimeCodeRangeOf(const symbols::GoBinary& binary) {
  return RuntimeCodeRange(binary);
}

Result<ProbePlan> BuildProbePlan(const symbols::GoBinary& binary, const PlanOptions& opts) {
  const symbols::GoVersion& v = binary.build_info().go_version;
  if (auto s = CheckSupported(v, binary.elf().path()); !s) return s.error();
  // Swiss maps from go1.24 unless the binary was built with GOEXPERIMENT=noswissmap: tell by
  // what the runtime contains, not by the version alone.
  const bool swiss = binary.FindFunction("internal/runtime/maps.(*Map).growToSmall") != nullptr ||
                     (FindGoRelease(v)->swiss_maps && !binary.FindFunction("runtime.hashGrow"));

  ProbePlan plan{v, swiss, {}, 0, {}};
  const auto [runtime_lo, runtime_hi] = RuntimeCodeRange(binary);
  AddProbe add = [&](const std::string& symbol, ElfVaddr entry, ElfVaddr at, bool on_check,
                     gr_probe_spec spec) -> Status {
    auto off = binary.elf().ToFileOffset(at);
    if (!off) {
      return MakeError(ErrorCode::kBadInput,
                       fmt::format("{} at {:#x} is not in a loadable segment of {}", symbol,
                                   at.value, binary.elf().path()));
    }
    spec.runtime_lo = runtime_lo;
    spec.runtime_hi = runtime_hi;
    plan.probes.push_back(PlannedProbe{symbol, entry, at, *off, on_check, spec});
    return Ok{};
  };
  if (auto s = AddEntryProbes(binary, swiss, opts, add); !s) return s.error();

  // Map growth: a probe on each allocating CALL inside the runtime's map functions.
  std::vector<CallProbe> callees = GrowthCallees();
  if (opts.addresses) {
    for (CallProbe& c : callees) {
      if (IsMultiObjectCall(c)) c.spec.flags |= GR_PROBE_ACCOUNT_ONLY;  // counted here only
    }
  }
  if (auto s = AddCallProbes(plan, binary, GrowthContainersFor(swiss), callees, opts.addresses, add);
      !s) {
    return s.error();
  }
  if (auto s = AddDirectMallocCalls(plan, binary, opts.addresses, add); !s) return s.error();
  if (!opts.addresses) return plan;

  // The objects of makemap and hashGrow, one by one.
  std::vector<CallProbe> trackers;
  for (CallProbe c : GrowthCallees()) {
    if (IsMultiObjectCall(c)) continue;
    c.spec.kind = GR_KIND_MAP_MAKE;  // the aggregator makes it map.grow under hashGrow etc.
    c.spec.flags |= GR_PROBE_TRACK_ONLY;
    trackers.push_back(c);
  }
  if (auto s = AddCallProbes(plan, binary, TrackContainersFor(swiss), trackers, true, add); !s) {
    return s.error();
  }
  // growslice's entry probe: its one new array is allocated further down, by its mallocgc calls.
  AddNestedCompletions(plan, binary, "runtime.growslice", "runtime.growslice", {"runtime.mallocgc"});
  AddNestedCompletions(plan, binary, "runtime.makeslicecopy", "runtime.makeslicecopy",
                       {"runtime.mallocgc"});
  // makemap_small's one object is returned at once, and makeslice ends with `return
  // mallocgc(...)`: nothing the kernel emulates holds its result before its RET (a probe there is
  // single-stepped: measured ~40 us per make against ~9 us for an emulated one). So both results
  // are read in each caller, in one decode of each caller.
  if (opts.caller_completions) {
    AddCallerCompletions(plan, binary, {"runtime.makemap_small", "runtime.makeslice"}, opts);
  }
  return plan;
}

}  // namespace goretain
