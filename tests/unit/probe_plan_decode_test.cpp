// What the probe plan costs in decoding: every function it scans is decoded once, however many
// calls of runtime.makemap_small (or of an allocator) it holds. A plan that decoded a caller's
// code again per call took minutes on a 50 MB server; here the count of decoded instructions
// (X86Decoder::decoded, ProbePlan::decoded_instructions) catches that without timing anything.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "symbols/go_binary.h"
#include "tests/support/npm_go_binaries.h"
#include "userspace/goruntime/probe_plan.h"
#include "userspace/goruntime/x86_code.h"
#include "userspace/goruntime/x86_decoder.h"

namespace goretain {
namespace {

constexpr uint64_t kEntry = 0x401000;
constexpr uint64_t kCallee = 0x400000;

// `calls` times: CALL kCallee; TESTQ AX, AX; JE +0 (3 instructions, 10 bytes).
std::vector<uint8_t> ManyCalls(size_t calls) {
  std::vector<uint8_t> code;
  for (size_t i = 0; i < calls; i++) {
    const uint64_t next = kEntry + code.size() + 5;
    const int32_t rel = static_cast<int32_t>(static_cast<int64_t>(kCallee - next));
    code.push_back(0xe8);
    code.resize(code.size() + 4);
    std::memcpy(code.data() + code.size() - 4, &rel, 4);
    for (uint8_t b : {0x48, 0x85, 0xc0, 0x74, 0x00}) code.push_back(b);
  }
  return code;
}

TEST(PlanDecoding, OneFunctionWithManyCallsIsDecodedOnce) {
  const size_t calls = 500;
  const std::vector<uint8_t> code = ManyCalls(calls);
  const uint64_t targets[] = {kCallee};
  X86Decoder decoder;
  const auto found = FindCallResults(decoder, code, kEntry, targets);
  ASSERT_EQ(found.size(), calls);
  for (size_t i = 0; i < calls; i++) {
    EXPECT_EQ(found[i].call.offset, i * 10);
    EXPECT_EQ(found[i].call.target, kCallee);
    ASSERT_TRUE(found[i].result) << i;
    EXPECT_EQ(found[i].result->offset, i * 10 + 8);  // the JE
    EXPECT_TRUE(found[i].result->where.in_register);
    EXPECT_EQ(found[i].result->where.reg, GR_REG_AX);
    EXPECT_FALSE(found[i].result->reachable_elsewhere);  // each JE lands on the next CALL
  }
  EXPECT_EQ(decoder.decoded(), 3 * calls);
}

TEST(PlanDecoding, ABranchIntoTheWindowIsSeenWhereverItIs) {
  // CALL; TESTQ AX, AX; JE +0; JMP back to the TESTQ (after the window: found in the same pass).
  std::vector<uint8_t> code = ManyCalls(1);
  for (uint8_t b : {0xeb, 0xf9}) code.push_back(b);  // 0x0a: JMP 0x0a+2-7 = 0x05
  const uint64_t targets[] = {kCallee};
  X86Decoder decoder;
  const auto found = FindCallResults(decoder, code, kEntry, targets);
  ASSERT_EQ(found.size(), 1u);
  ASSERT_TRUE(found[0].result);
  EXPECT_TRUE(found[0].result->reachable_elsewhere);
  EXPECT_EQ(decoder.decoded(), 4u);
  EXPECT_TRUE(FindReturnValueProbe(code, kEntry, 0)->reachable_elsewhere);
}

// Instructions in every function that has an `E8 rel32` to runtime.makemap_small or
// runtime.makeslice (the callees whose results are read in their callers), each decoded once:
// what the caller scan may decode at most.
uint64_t CallerInstructions(const symbols::GoBinary& bin) {
  std::vector<uint64_t> callees;
  for (const char* name : {"runtime.makemap_small", "runtime.makeslice"}) {
    if (const symbols::Function* f = bin.FindFunction(name)) callees.push_back(f->entry.value);
  }
  X86Decoder decoder;
  for (const symbols::Function& fn : bin.functions()) {
    const auto code = bin.Code(fn);
    bool caller = false;
    for (const uint64_t callee : callees) caller = caller || MayCall(code, fn.entry.value, callee);
    if (caller) decoder.ForEach(code, fn.entry.value, [](const cs_insn&) { return true; });
  }
  return decoder.decoded();
}

void ExpectEachCallerDecodedOnce(const std::string& path) {
  auto bin = symbols::GoBinary::Open(path);
  ASSERT_TRUE(bin) << path << ": " << bin.error().message;
  auto with = BuildProbePlan(**bin, PlanOptions{false, true, true});
  auto without = BuildProbePlan(**bin, PlanOptions{false, true, false});
  ASSERT_TRUE(with && without) << path;
  ASSERT_FALSE(with->stash_callers.empty()) << path << ": no makemap_small caller completed";
  const uint64_t scan = with->decoded_instructions - without->decoded_instructions;
  EXPECT_GT(scan, 0u);
  EXPECT_LE(scan, CallerInstructions(**bin)) << path << ": a caller was decoded more than once";
  const auto& fns = (*bin)->functions();
  const uint64_t text = fns.back().end.value - fns.front().entry.value;
  EXPECT_LE(with->decoded_instructions, text) << path;
}

TEST(PlanDecoding, EachCallerOfMakemapSmallIsDecodedOnce) {
  ExpectEachCallerDecodedOnce(std::string(GORETAIN_TARGETS_DIR) + "/leak1_maplist");
}

TEST(PlanDecoding, EachCallerIsDecodedOnceInEsbuild) {
  // go1.19: classic maps, hundreds of makemap_small callers.
  const std::string path = NpmPath("esbuild-0.15.18/node_modules/esbuild-linux-64/bin/esbuild");
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " (scripts/install-npm-binaries.sh)";
  ExpectEachCallerDecodedOnce(path);
}

TEST(PlanDecoding, ProgressCountsTheCallers) {
  auto bin = symbols::GoBinary::Open(std::string(GORETAIN_TARGETS_DIR) + "/leak1_maplist");
  ASSERT_TRUE(bin);
  std::vector<PlanProgress> seen;
  PlanOptions opts{false, true, true};
  opts.progress = [&](const PlanProgress& p) { seen.push_back(p); };
  ASSERT_TRUE(BuildProbePlan(**bin, opts));
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front().done, 0u);
  EXPECT_EQ(seen.back().done, seen.back().total);
  EXPECT_GT(seen.back().total, 0u);
  for (size_t i = 1; i < seen.size(); i++) EXPECT_GE(seen[i].done, seen[i - 1].done);
}

}  // namespace
}  // namespace goretain
