// The probe plan on real Go 1.19 executables (tests/targets): where --retained reads each map
// object's address. The kernel side (that these probes fire and complete) is tested end to end
// in tests/e2e/leak_signal_test.cpp; here, that the plan says what the design says.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "userspace/goruntime/probe_plan.h"
#include "userspace/goruntime/x86_code.h"

namespace goretain {
namespace {

std::string TargetPath(const std::string& name) {
  return std::string(GORETAIN_TARGETS_DIR) + "/" + name;
}

ProbePlan PlanFor(const std::string& target, bool addresses, bool caller_completions = true) {
  auto bin = symbols::GoBinary::Open(TargetPath(target));
  EXPECT_TRUE(bin) << target;
  if (!bin) return {};
  auto plan = BuildProbePlan(**bin, PlanOptions{false, addresses, caller_completions});
  EXPECT_TRUE(plan) << (plan ? "" : plan.error().message);
  return plan ? *plan : ProbePlan{};
}

const PlannedProbe* Find(const ProbePlan& plan, const std::string& symbol) {
  for (const auto& p : plan.probes) {
    if (p.symbol == symbol) return &p;
  }
  return nullptr;
}

TEST(ProbePlan, DefaultModeHasOneProbeHitPerAllocation) {
  const ProbePlan plan = PlanFor("leak1_maplist", false);
  ASSERT_FALSE(plan.probes.empty());
  for (const auto& p : plan.probes) {
    EXPECT_EQ(p.spec.flags & (GR_PROBE_STASH | GR_PROBE_COMPLETES | GR_PROBE_TRACK_ONLY |
                              GR_PROBE_ACCOUNT_ONLY),
              0u)
        << p.symbol;
  }
  EXPECT_EQ(plan.addressed, 0u);
}

TEST(ProbePlan, RetainedModeTracksEveryObjectOfMakemap) {
  const ProbePlan plan = PlanFor("leak1_maplist", true);
  // makemap's entry event keeps counting; its header, buckets and mapextra are tracked from the
  // allocating calls, each completed in its own frame.
  const PlannedProbe* makemap = Find(plan, "runtime.makemap");
  ASSERT_NE(makemap, nullptr);
  EXPECT_TRUE(makemap->spec.flags & GR_PROBE_ACCOUNT_ONLY);
  EXPECT_FALSE(makemap->spec.flags & GR_PROBE_STASH);
  const PlannedProbe* hash_grow = Find(plan, "runtime.hashGrow");
  ASSERT_NE(hash_grow, nullptr);
  EXPECT_TRUE(hash_grow->spec.flags & GR_PROBE_ACCOUNT_ONLY);

  int header_calls = 0, bucket_calls = 0;
  for (size_t i = 0; i < plan.probes.size(); i++) {
    const PlannedProbe& p = plan.probes[i];
    if (!(p.spec.flags & GR_PROBE_TRACK_ONLY) || (p.spec.flags & GR_PROBE_COMPLETES)) continue;
    EXPECT_EQ(p.spec.kind, GR_KIND_MAP_MAKE) << p.symbol;
    EXPECT_TRUE(p.spec.flags & GR_PROBE_STASH) << p.symbol << ": no completion";
    if (p.symbol == "runtime.makemap -> runtime.newobject") header_calls++;
    if (p.symbol == "runtime.makeBucketArray -> runtime.newarray") bucket_calls++;
    int completions = 0;
    for (const auto& c : plan.probes) {
      if (c.completes == static_cast<int>(i)) {
        completions++;
        EXPECT_TRUE(c.spec.flags & GR_PROBE_SAME_FRAME);
        EXPECT_EQ(c.spec.frame_sp_delta, 0);
        EXPECT_EQ(c.function_entry, p.function_entry) << "completed in another function";
        EXPECT_GT(c.address.value, p.address.value);
      }
    }
    EXPECT_EQ(completions, 1) << p.symbol;
  }
  EXPECT_EQ(header_calls, 2);  // new(hmap) and new(mapextra)
  EXPECT_EQ(bucket_calls, 1);
}

TEST(ProbePlan, RetainedModeReadsMakemapSmallsResultInItsCallers) {
  const ProbePlan plan = PlanFor("leak1_maplist", true);
  size_t small = plan.probes.size();
  for (size_t i = 0; i < plan.probes.size(); i++) {
    if (plan.probes[i].symbol == "runtime.makemap_small") small = i;
  }
  ASSERT_LT(small, plan.probes.size());
  EXPECT_TRUE(plan.probes[small].spec.flags & GR_PROBE_STASH);
  auto bin = symbols::GoBinary::Open(TargetPath("leak1_maplist"));
  ASSERT_TRUE(bin);
  bool in_main = false;
  int completions = 0;
  for (const auto& c : plan.probes) {
    if (c.completes != static_cast<int>(small)) continue;
    completions++;
    // In the caller, after makemap_small's RET: SP is 8 above its entry's.
    EXPECT_EQ(c.spec.frame_sp_delta, 8);
    EXPECT_TRUE(c.spec.flags & GR_PROBE_SAME_FRAME);
    const symbols::Function* fn = (*bin)->FunctionAt(c.address);
    ASSERT_NE(fn, nullptr);
    EXPECT_EQ(fn->entry, c.function_entry);
    if (fn->name == "main.record") in_main = true;
  }
  EXPECT_GE(completions, 2);
  // Only those callers' calls wait for their address; each is a CALL to makemap_small.
  EXPECT_TRUE(plan.probes[small].spec.flags & GR_PROBE_STASH_KNOWN_CALLERS);
  // (runtime.makeslice's callers are listed too, under its own probe.)
  std::vector<StashCaller> listed;
  for (const StashCaller& c : plan.stash_callers) {
    if (c.alloc_index == small) listed.push_back(c);
  }
  ASSERT_EQ(listed.size(), static_cast<size_t>(completions));
  const symbols::Function* callee = (*bin)->FindFunction("runtime.makemap_small");
  ASSERT_NE(callee, nullptr);
  for (const StashCaller& c : listed) {
    const symbols::Function* fn = (*bin)->FunctionAt(c.return_address + (-5));
    ASSERT_NE(fn, nullptr);
    const uint64_t targets[] = {callee->entry.value};
    const auto calls = FindCalls((*bin)->Code(*fn), fn->entry.value, targets);
    EXPECT_TRUE(std::any_of(calls.begin(), calls.end(), [&](const CallInstruction& call) {
      return fn->entry + call.offset + 5 == c.return_address;
    })) << "not after a CALL runtime.makemap_small";
  }
  EXPECT_TRUE(in_main) << "no completion in leak1_maplist's own make(map...) caller";
}

TEST(ProbePlan, ClassicUprobesGetNoCallerCompletions) {
  // One perf-event uprobe per probe (kernels before 6.6): makemap_small's callers are left out.
  const ProbePlan plan = PlanFor("leak1_maplist", true, /*caller_completions=*/false);
  const PlannedProbe* small = Find(plan, "runtime.makemap_small");
  ASSERT_NE(small, nullptr);
  EXPECT_FALSE(small->spec.flags & (GR_PROBE_STASH | GR_PROBE_STASH_KNOWN_CALLERS));
  EXPECT_TRUE(plan.stash_callers.empty());
  for (const auto& p : plan.probes) EXPECT_NE(p.spec.frame_sp_delta, 8) << p.symbol;
  EXPECT_LT(plan.probes.size(), PlanFor("leak1_maplist", true).probes.size());
}

TEST(MayCall, FindsRel32CallsToTheTarget) {
  // 0x1000: E8 rel32 -> 0x1000 + 5 + 0x10 = 0x1015
  const uint8_t code[] = {0x90, 0xe8, 0x10, 0x00, 0x00, 0x00, 0xc3};
  EXPECT_TRUE(MayCall(code, 0x1000, 0x1016));
  EXPECT_FALSE(MayCall(code, 0x1000, 0x1015));
  EXPECT_FALSE(MayCall(std::span<const uint8_t>(code, 5), 0x1000, 0x1016));  // truncated
}

}  // namespace
}  // namespace goretain

namespace goretain {
namespace {

// A completion whose first emulated instruction is the next allocating CALL: one probe does both
// (the kernel takes one probe per address), completing first, then allocating.
TEST(ProbePlan, CompletionOnTheNextAllocatingCallSharesItsProbe) {
  auto bin = symbols::GoBinary::Open(TargetPath("leak1_maplist"));
  ASSERT_TRUE(bin);
  const symbols::Function* fn = (*bin)->FindFunction("runtime.makemap");
  ASSERT_NE(fn, nullptr);
  ProbePlan plan;
  gr_probe_spec first{}, second{};
  first.kind = second.kind = GR_KIND_MAP_MAKE;
  first.func = second.func = GR_FUNC_CALL_NEWOBJECT;
  first.flags = second.flags = GR_PROBE_MID_FUNCTION;
  second.type_arg = 0;
  plan.probes.push_back({"first", fn->entry, fn->entry + 10, FileOffset{10}, false, first});
  plan.probes.push_back({"second", fn->entry, fn->entry + 20, FileOffset{20}, false, second});
  ReturnValueProbe rv{20, ValueLocation{true, GR_REG_BX, 0}, false};
  ASSERT_TRUE(AddCompletion(plan, **bin, *fn, rv, 0, 0));
  ASSERT_EQ(plan.probes.size(), 2u) << "a second probe at one address";
  const PlannedProbe& both = plan.probes[1];
  EXPECT_EQ(both.completes, 0);
  EXPECT_TRUE(both.spec.flags & GR_PROBE_COMPLETES);
  EXPECT_TRUE(both.spec.flags & GR_PROBE_THEN_ALLOCATES);
  EXPECT_TRUE(both.spec.flags & GR_PROBE_SAME_FRAME);
  EXPECT_EQ(both.spec.value_reg, GR_REG_BX);
  EXPECT_EQ(both.spec.func, GR_FUNC_CALL_NEWOBJECT);  // still the second allocation's probe
  EXPECT_TRUE(plan.probes[0].spec.flags & GR_PROBE_STASH);
  // A completion never lands on a probe that already completes something.
  ReturnValueProbe again{20, ValueLocation{true, GR_REG_CX, 0}, false};
  EXPECT_FALSE(AddCompletion(plan, **bin, *fn, again, 0, 0));
  EXPECT_EQ(plan.probes[1].spec.value_reg, GR_REG_BX);
}

}  // namespace
}  // namespace goretain
