#include "userspace/goruntime/sampler_plan.h"

#include <fmt/format.h>

#include "userspace/goruntime/go_releases.h"
#include "userspace/goruntime/x86_code.h"

namespace goretain {
namespace {

struct SamplerProbe {
  const char* symbol;
  gr_kind kind;
  gr_func func;
};

// The special's first four words: next, offset and kind (kind at 10 or 16, go_releases.h), then
// specialprofile.b.
constexpr uint8_t kSpecialWords = 4;

gr_probe_spec SamplerSpec(const SamplerProbe& p, uint64_t runtime_lo, uint64_t runtime_hi) {
  gr_probe_spec s{};
  s.kind = p.kind;
  s.func = p.func;
  s.abi = GR_ABI_DEFAULT;
  s.type_arg = GR_NO_ARG;
  s.deref_arg = GR_NO_ARG;
  s.sized_type_ptr_off = -1;
  // The cycle boundary stages samples by event order: the reader need not be woken for it.
  if (p.func == GR_FUNC_GC_MARK_TERMINATION) s.flags |= GR_PROBE_LAZY_WAKEUP;
  // A free is matched by address and a cycle is a point in time: neither needs a stack.
  if (p.func != GR_FUNC_MPROF_MALLOC) s.flags |= GR_PROBE_NO_STACK;
  if (p.func == GR_FUNC_FREE_SPECIAL) {  // freeSpecial(s *special, p, size): s in RAX
    s.deref_arg = 0;
    s.deref_off = 0;
    s.deref_words = kSpecialWords;
  }
  s.runtime_lo = runtime_lo;
  s.runtime_hi = runtime_hi;
  return s;
}

}  // namespace

Result<ProbePlan> BuildSamplerPlan(const symbols::GoBinary& binary) {
  if (auto s = CheckPlannableRelease(binary); !s) return s.error();
  const symbols::GoVersion& v = binary.build_info().go_version;
  ProbePlan plan{v, FindGoRelease(v)->swiss_maps, {}, 0, {}};
  const auto [runtime_lo, runtime_hi] = RuntimeCodeRangeOf(binary);
  constexpr SamplerProbe kProbes[] = {
      {"runtime.mProf_Malloc", GR_KIND_SAMPLE, GR_FUNC_MPROF_MALLOC},
      {"runtime.freeSpecial", GR_KIND_SAMPLE_FREE, GR_FUNC_FREE_SPECIAL},
      {"runtime.gcMarkTermination", GR_KIND_GC, GR_FUNC_GC_MARK_TERMINATION},
  };
  for (const SamplerProbe& p : kProbes) {
    const symbols::Function* fn = binary.FindFunction(p.symbol);
    if (!fn) {
      return MakeError(ErrorCode::kUnsupported,
                       fmt::format("{} has no {} function: --sample cannot ride its heap "
                                   "profiler (hint: trace it without --sample)",
                                   binary.elf().path(), p.symbol));
    }
    gr_probe_spec spec = SamplerSpec(p, runtime_lo, runtime_hi);
    ElfVaddr at = fn->entry;
    // Past the stack check: an entry probe would see a call twice when morestack restarts it.
    const auto branch = FindStackCheckBranch(binary.Code(*fn));
    if (branch) {
      at = fn->entry + branch->offset;
      spec.flags |= GR_PROBE_ON_STACK_CHECK_JBE;
    }
    auto off = binary.elf().ToFileOffset(at);
    if (!off) {
      return MakeError(ErrorCode::kBadInput,
                       fmt::format("{} at {:#x} is not in a loadable segment of {}", p.symbol,
                                   at.value, binary.elf().path()));
    }
    plan.probes.push_back(PlannedProbe{p.symbol, fn->entry, at, *off, branch.has_value(), spec});
  }
  return plan;
}

}  // namespace goretain
