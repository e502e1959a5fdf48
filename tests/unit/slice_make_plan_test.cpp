// The probe plan for make([]T): entry probes on runtime.makeslice and runtime.makeslicecopy
// (kind slice.make, element type in RAX), and with --retained where each reads its object's
// address, on a real Go 1.19 executable (tests/targets/slicemake). That they fire and complete is
// tested end to end in tests/e2e/slice_make_test.cpp.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "userspace/goruntime/probe_plan.h"
#include "userspace/goruntime/x86_code.h"

namespace goretain {
namespace {

std::unique_ptr<symbols::GoBinary> OpenTarget() {
  auto bin = symbols::GoBinary::Open(std::string(GORETAIN_TARGETS_DIR) + "/slicemake");
  EXPECT_TRUE(bin);
  return bin ? std::move(*bin) : nullptr;
}

std::optional<size_t> EntryIndex(const ProbePlan& plan, const std::string& symbol) {
  for (size_t i = 0; i < plan.probes.size(); i++) {
    if (plan.probes[i].symbol == symbol) return i;
  }
  return std::nullopt;
}

std::vector<const PlannedProbe*> CompletionsOf(const ProbePlan& plan, size_t index) {
  std::vector<const PlannedProbe*> out;
  for (const auto& p : plan.probes) {
    if (p.completes == static_cast<int>(index)) out.push_back(&p);
  }
  return out;
}

TEST(SliceMakePlan, EntryProbesOnMakesliceAndMakeslicecopy) {
  auto bin = OpenTarget();
  ASSERT_TRUE(bin);
  auto plan = BuildProbePlan(*bin, PlanOptions{});
  ASSERT_TRUE(plan);
  for (const auto& [symbol, func] : {std::pair{"runtime.makeslice", GR_FUNC_MAKESLICE},
                                     std::pair{"runtime.makeslicecopy", GR_FUNC_MAKESLICECOPY}}) {
    const auto i = EntryIndex(*plan, symbol);
    ASSERT_TRUE(i) << symbol;
    const PlannedProbe& p = plan->probes[*i];
    EXPECT_EQ(p.spec.kind, GR_KIND_SLICE_MAKE) << symbol;
    EXPECT_EQ(p.spec.func, static_cast<uint32_t>(func)) << symbol;
    EXPECT_EQ(p.spec.type_arg, 0) << symbol;  // et *_type in RAX
    EXPECT_TRUE(p.on_stack_check) << symbol;
    EXPECT_EQ(p.spec.flags & (GR_PROBE_STASH | GR_PROBE_COMPLETES), 0u) << symbol;
  }
}

TEST(SliceMakePlan, DirectMallocgcCallsInCompiledCodeAreProbedAtTheCall) {
  // make + copy of pointer-free elements: `CALL runtime.mallocgc` in main.churn itself.
  auto bin = OpenTarget();
  ASSERT_TRUE(bin);
  auto plan = BuildProbePlan(*bin, PlanOptions{});
  ASSERT_TRUE(plan);
  int in_churn = 0;
  for (const auto& p : plan->probes) {
    if (!(p.spec.flags & GR_PROBE_AT_CALL)) continue;
    EXPECT_EQ(p.spec.kind, GR_KIND_SLICE_MAKE) << p.symbol;
    EXPECT_EQ(p.spec.func, GR_FUNC_CALL_MALLOCGC) << p.symbol;
    EXPECT_EQ(p.symbol.rfind("runtime.", 0), std::string::npos) << "inside the runtime: " << p.symbol;
    in_churn += p.symbol == "main.churn -> runtime.mallocgc";
  }
  EXPECT_EQ(in_churn, 1);
}

TEST(SliceMakePlan, RetainedReadsEachMakesAddress) {
  auto bin = OpenTarget();
  ASSERT_TRUE(bin);
  auto plan = BuildProbePlan(*bin, PlanOptions{false, true, true});
  ASSERT_TRUE(plan);
  const symbols::Function* mallocgc = bin->FindFunction("runtime.mallocgc");
  ASSERT_NE(mallocgc, nullptr);
  const uint64_t targets[] = {mallocgc->entry.value};

  // makeslice ends with `return mallocgc(...)` (no emulated instruction holds the result before
  // its RET): its result is read in its callers, after their CALL, 8 bytes above its entry SP.
  const auto slice = EntryIndex(*plan, "runtime.makeslice");
  ASSERT_TRUE(slice);
  EXPECT_TRUE(plan->probes[*slice].spec.flags & GR_PROBE_STASH);
  EXPECT_TRUE(plan->probes[*slice].spec.flags & GR_PROBE_STASH_KNOWN_CALLERS);
  const auto done = CompletionsOf(*plan, *slice);
  std::set<std::string> callers;
  for (const PlannedProbe* c : done) {
    EXPECT_TRUE(c->spec.flags & GR_PROBE_SAME_FRAME);
    EXPECT_EQ(c->spec.frame_sp_delta, 8);
    const symbols::Function* fn = bin->FunctionAt(c->address);
    ASSERT_NE(fn, nullptr);
    callers.insert(std::string(fn->name));
  }
  // The payload's caller, and 4 of the 5 makes in churn: the sinkInts make's result moves to
  // CX while the next line's arithmetic runs, and is not followed to an emulated instruction
  // (that line's retention is then not judged; the payload's is).
  EXPECT_TRUE(callers.contains("main.record"));
  size_t in_churn = 0, listed = 0;
  for (const PlannedProbe* c : done) in_churn += bin->FunctionAt(c->address)->name == "main.churn";
  EXPECT_EQ(in_churn, 4u);
  for (const StashCaller& c : plan->stash_callers) listed += c.alloc_index == *slice;
  EXPECT_EQ(listed, done.size());

  // makeslicecopy: one completion per mallocgc call, each on an emulated branch after it.
  const auto copy = EntryIndex(*plan, "runtime.makeslicecopy");
  ASSERT_TRUE(copy);
  EXPECT_TRUE(plan->probes[*copy].spec.flags & GR_PROBE_STASH);
  const symbols::Function* cfn = bin->FindFunction("runtime.makeslicecopy");
  ASSERT_NE(cfn, nullptr);
  const auto ccalls = FindCalls(bin->Code(*cfn), cfn->entry.value, targets);
  const auto cdone = CompletionsOf(*plan, *copy);
  EXPECT_EQ(cdone.size(), ccalls.size());
  EXPECT_EQ(ccalls.size(), 2u);  // pointer-free and pointerful paths
  for (const PlannedProbe* c : cdone) EXPECT_EQ(c->function_entry, cfn->entry);
}

}  // namespace
}  // namespace goretain
