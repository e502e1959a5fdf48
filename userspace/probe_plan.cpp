#include "userspace/probe_plan.h"

#include <fmt/format.h>

#include "userspace/stack_check_finder.h"

namespace goretain {
namespace {

// Offsets inside runtime._type / internal/abi.Type (identical go1.17 .. go1.27, §3.1).
constexpr uint32_t kTypeSizeOffset = 0;
constexpr uint32_t kTypePtrdataOffset = 8;
// maptype.bucket (classic) and abi.SwissMapType.Group (Swiss) are both at offset 64.
constexpr int32_t kMapTypeSizedTypeOffset = 64;

struct ProbeTarget {
  const char* symbol;
  bool required;
  gr_probe_spec spec;
};

gr_probe_spec Spec(gr_kind kind, gr_func func, gr_abi abi, uint8_t type_arg, int32_t sized_off) {
  gr_probe_spec s{};
  s.kind = kind;
  s.func = func;
  s.abi = abi;
  s.type_arg = type_arg;
  s.sized_type_ptr_off = sized_off;
  s.type_size_off = kTypeSizeOffset;
  s.type_ptrdata_off = kTypePtrdataOffset;
  return s;
}

std::vector<ProbeTarget> TargetsFor(const symbols::GoVersion& v) {
  // Register order (ABIInternal): args[0]=RAX, [1]=RBX, [2]=RCX, [3]=RDI, [4]=RSI.
  const bool new_growslice = v.AtLeast(1, 20);
  return {
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
  };
}

}  // namespace

std::string ProbePlan::Describe() const {
  std::string out = fmt::format("probe plan for {} ({} probes)", go_version.raw, probes.size());
  for (const auto& p : probes) {
    out += fmt::format("\n  {:<24} entry {:#x} probe {:#x} (+{}, {}) file offset {:#x}", p.symbol,
                       p.function_entry.value, p.address.value, p.address - p.function_entry,
                       p.on_stack_check ? "stack-check JBE" : "entry", p.file_offset.value);
  }
  return out;
}

Result<ProbePlan> BuildProbePlan(const symbols::GoBinary& binary) {
  const symbols::GoVersion& v = binary.build_info().go_version;
  if (v.major == 0) {
    return MakeError(ErrorCode::kUnsupported,
                     "cannot tell the Go version of " + binary.elf().path() + " (no build info)");
  }
  if (!v.AtLeast(1, kMinGoMinor)) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("{} is not supported: goretain needs go1.{} or later (register ABI)",
                                 v.raw, kMinGoMinor));
  }

  ProbePlan plan{v, {}};
  for (const ProbeTarget& t : TargetsFor(v)) {
    const symbols::Function* fn = binary.FindFunction(t.symbol);
    if (!fn) {
      if (t.required) {
        return MakeError(ErrorCode::kUnsupported,
                         fmt::format("{} has no {} function", binary.elf().path(), t.symbol));
      }
      continue;
    }
    PlannedProbe p{t.symbol, fn->entry, fn->entry, FileOffset{}, false, t.spec};
    if (auto branch = FindStackCheckBranch(binary.Code(*fn))) {
      p.address = fn->entry + branch->offset;
      p.on_stack_check = true;
      p.spec.flags |= GR_PROBE_ON_STACK_CHECK_JBE;
    }
    auto off = binary.elf().ToFileOffset(p.address);
    if (!off) {
      return MakeError(ErrorCode::kBadInput,
                       fmt::format("{} at {:#x} is not in a loadable segment of {}", t.symbol,
                                   p.address.value, binary.elf().path()));
    }
    p.file_offset = *off;
    plan.probes.push_back(std::move(p));
  }
  return plan;
}

}  // namespace goretain
