// FindStackCheckBranch on hand-assembled Go prologues (bytes as emitted by Go 1.19-1.25).
#include "userspace/goruntime/x86_code.h"

#include "userspace/kernel/goretain_bpf.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace goretain {
namespace {

TEST(StackCheckFinder, SmallFrameWithShortJump) {
  // CMPQ 0x10(R14), SP; JBE rel8; SUBQ $0x28, SP
  std::vector<uint8_t> code = {0x49, 0x3b, 0x66, 0x10, 0x76, 0x6b, 0x48, 0x83, 0xec, 0x28};
  auto b = FindStackCheckBranch(code);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->offset, 4u);
  EXPECT_EQ(b->length, 2u);
}

TEST(StackCheckFinder, NearJump) {
  // CMPQ 0x10(R14), SP; JBE rel32
  std::vector<uint8_t> code = {0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x8f, 0x06, 0x00, 0x00};
  auto b = FindStackCheckBranch(code);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->offset, 4u);
  EXPECT_EQ(b->length, 6u);
}

TEST(StackCheckFinder, LargeFrameComparesAScratchRegister) {
  // LEAQ -0xd8(SP), R12; CMPQ 0x10(R14), R12; JBE rel32
  std::vector<uint8_t> code = {0x4c, 0x8d, 0xa4, 0x24, 0x28, 0xff, 0xff, 0xff, 0x4d, 0x3b,
                               0x66, 0x10, 0x0f, 0x86, 0x10, 0x00, 0x00, 0x00};
  auto b = FindStackCheckBranch(code);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->offset, 12u);
  EXPECT_EQ(b->length, 6u);
}

TEST(StackCheckFinder, SystemStackGuard) {
  // CMPQ 0x18(R14), SP; JBE rel8
  std::vector<uint8_t> code = {0x49, 0x3b, 0x66, 0x18, 0x76, 0x10};
  auto b = FindStackCheckBranch(code);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->offset, 4u);
}

TEST(StackCheckFinder, NoCheckMeansNoBranch) {
  // PUSHQ BP; MOVQ SP, BP; SUBQ $0x10, SP (a NOSPLIT function)
  std::vector<uint8_t> code = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10};
  EXPECT_FALSE(FindStackCheckBranch(code));
  // A compare against another register's memory is not the stack check.
  std::vector<uint8_t> other = {0x48, 0x3b, 0x66, 0x10, 0x76, 0x6b};  // CMPQ 0x10(SI), SP
  EXPECT_FALSE(FindStackCheckBranch(other));
  EXPECT_FALSE(FindStackCheckBranch({}));
}

TEST(StackCheckFinder, CompareFollowedByOtherBranchIsRejected) {
  // CMPQ 0x10(R14), SP; JNE rel8: not the JBE whose flags tell about morestack
  std::vector<uint8_t> code = {0x49, 0x3b, 0x66, 0x10, 0x75, 0x6b};
  EXPECT_FALSE(FindStackCheckBranch(code));
}

}  // namespace
}  // namespace goretain

namespace goretain {
namespace {

// FindReturnValueProbe on hand-assembled code. Each starts with CALL rel32 at offset 0.
TEST(ReturnValueProbe, ValueStillInRaxAtTheFirstBranch) {
  // CALL; MOVQ 0x18(SP), CX; CMPQ DX, CX; JE +0x3b
  std::vector<uint8_t> code = {0xe8, 0, 0, 0, 0, 0x48, 0x8b, 0x4c, 0x24, 0x18,
                               0x48, 0x39, 0xd1, 0x74, 0x3b};
  auto p = FindReturnValueProbe(code, 0x1000, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->offset, 13u);
  EXPECT_TRUE(p->where.in_register);
  EXPECT_EQ(p->where.reg, GR_REG_AX);
}

TEST(ReturnValueProbe, FollowsACopyWhenRaxIsReused) {
  // CALL; MOVQ AX, R9; MOVQ 0x60(SP), AX; TESTQ CX, CX; JNE +8
  std::vector<uint8_t> code = {0xe8, 0, 0, 0, 0, 0x49, 0x89, 0xc1, 0x48, 0x8b, 0x44,
                               0x24, 0x60, 0x48, 0x85, 0xc9, 0x75, 0x08};
  auto p = FindReturnValueProbe(code, 0x1000, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->offset, 16u);
  EXPECT_TRUE(p->where.in_register);
  EXPECT_EQ(p->where.reg, GR_REG_R9);
}

TEST(ReturnValueProbe, FollowsASpillToTheStack) {
  // CALL; MOVQ AX, 0x48(SP); XORL AX, AX; CALL rel32 (emulated; e.g. memclr)
  std::vector<uint8_t> code = {0xe8, 0, 0, 0, 0, 0x48, 0x89, 0x44, 0x24, 0x48,
                               0x31, 0xc0, 0xe8, 0, 0, 0, 0};
  auto p = FindReturnValueProbe(code, 0x1000, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->offset, 12u);
  EXPECT_FALSE(p->where.in_register);
  EXPECT_EQ(p->where.sp_offset, 0x48);
}

TEST(ReturnValueProbe, GivesUpWhenTheValueOrTheStackIsGone) {
  // CALL; XORL AX, AX; JE: the value was overwritten.
  std::vector<uint8_t> overwritten = {0xe8, 0, 0, 0, 0, 0x31, 0xc0, 0x74, 0x02};
  EXPECT_FALSE(FindReturnValueProbe(overwritten, 0x1000, 0));
  // CALL; ADDQ $0x18, SP; RET: the frame is gone before any branch (makemap_small's shape).
  std::vector<uint8_t> returns = {0xe8, 0, 0, 0, 0, 0x48, 0x83, 0xc4, 0x18, 0xc3};
  EXPECT_FALSE(FindReturnValueProbe(returns, 0x1000, 0));
  // CALL; MOVQ AX, 0x8(SP); SUBQ $0x10, SP; JE: stack slots moved with SP.
  std::vector<uint8_t> moved = {0xe8, 0, 0, 0, 0, 0x48, 0x89, 0x44, 0x24, 0x08,
                                0x48, 0x83, 0xec, 0x10, 0x74, 0x02};
  EXPECT_FALSE(FindReturnValueProbe(moved, 0x1000, 0));
  // Not a CALL at the offset.
  EXPECT_FALSE(FindReturnValueProbe(overwritten, 0x1000, 5));
}

}  // namespace
}  // namespace goretain

#include "symbols/go_binary.h"

namespace goretain {
namespace {

// On real Go 1.19 code: where the tracer could read the addresses the runtime's map and slice
// functions get back from the allocator.
TEST(ReturnValueProbe, RealRuntimeFunctions) {
  auto bin = symbols::GoBinary::Open(GORETAIN_TARGETS_DIR "/counts");
  ASSERT_TRUE(bin.ok()) << bin.error().message;
  const auto* mallocgc = (*bin)->FindFunction("runtime.mallocgc");
  const auto* newobject = (*bin)->FindFunction("runtime.newobject");
  const auto* newarray = (*bin)->FindFunction("runtime.newarray");
  ASSERT_TRUE(mallocgc && newobject && newarray);
  const uint64_t allocators[] = {mallocgc->entry.value, newobject->entry.value,
                                 newarray->entry.value};
  auto probes = [&](const char* name) {
    const auto* fn = (*bin)->FindFunction(name);
    EXPECT_NE(fn, nullptr) << name;
    std::vector<std::optional<ReturnValueProbe>> out;
    if (!fn) return out;
    for (const auto& call : FindCalls((*bin)->Code(*fn), fn->entry.value, allocators)) {
      out.push_back(FindReturnValueProbe((*bin)->Code(*fn), fn->entry.value, call.offset));
    }
    return out;
  };
  // growslice: both mallocgc paths (pointer-free and not) are readable.
  auto g = probes("runtime.growslice");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_TRUE(g[0] && g[1]);
  // makeBucketArray's newarray and the overflow bucket of newoverflow too.
  auto b = probes("runtime.makeBucketArray");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b[0]);
  auto o = probes("runtime.(*hmap).newoverflow");
  ASSERT_GE(o.size(), 1u);
  EXPECT_TRUE(o[0]);
  // makemap_small returns right after its allocation: no emulated instruction holds the value.
  auto s = probes("runtime.makemap_small");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0]);
}

}  // namespace
}  // namespace goretain
