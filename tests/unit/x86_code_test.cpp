// FindStackCheckBranch on hand-assembled Go prologues (bytes as emitted by Go 1.19-1.25).
#include "userspace/x86_code.h"

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
