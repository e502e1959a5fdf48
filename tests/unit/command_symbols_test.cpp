// `goretain symbols` (RunSymbolsCommand) on the symtest fixture: output shape and exit codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "symbols/go_binary.h"
#include "userspace/cli/symbols_command.h"

namespace goretain {
namespace {

const std::string kSymtest = std::string(GORETAIN_TARGETS_DIR) + "/symtest";

std::string Hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

struct CommandRun {
  int code;
  std::string out, err;
};

CommandRun RunCommand(const std::string& binary, const std::vector<std::string>& pcs,
                      const std::vector<std::string>& funcs) {
  std::ostringstream out, err;
  int code = RunSymbolsCommand(binary, pcs, funcs, out, err);
  return {code, out.str(), err.str()};
}

TEST(SymbolsCommandTest, SummaryPcsAndFunctions) {
  auto bin = symbols::GoBinary::Open(kSymtest);
  ASSERT_TRUE(bin.ok());
  const symbols::Function* fill = (*bin)->FindFunction("main.fillIndex");
  ASSERT_NE(fill, nullptr);
  // A PC inside the inlined newIndex call, spelled without 0x and in upper case.
  uint64_t inlined_pc = 0;
  for (uint64_t pc = fill->entry.value; pc < fill->end.value && inlined_pc == 0; ++pc) {
    if ((*bin)->Resolve(ElfVaddr(pc)).frames.size() == 2) inlined_pc = pc;
  }
  ASSERT_NE(inlined_pc, 0u);
  std::ostringstream upper;
  upper << std::uppercase << std::hex << inlined_pc;

  CommandRun r = RunCommand(kSymtest, {upper.str(), Hex(fill->entry.value)}, {"main.fillIndex"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("go version: go1.19"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("main module: goretain.test/targets\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("functions: " + std::to_string((*bin)->functions().size()) + "\n"),
            std::string::npos);
  EXPECT_NE(r.out.find(Hex(inlined_pc) + ": main.fillIndex\n  main.newIndex "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(inlined)\n  main.fillIndex "), std::string::npos) << r.out;
  auto offset = (*bin)->elf().ToFileOffset(fill->entry);
  ASSERT_TRUE(offset);
  EXPECT_NE(r.out.find("main.fillIndex: entry " + Hex(fill->entry.value) + " end " +
                       Hex(fill->end.value) + " size " + Hex(fill->end - fill->entry) +
                       " file_offset " + Hex(offset->value) + "\n"),
            std::string::npos)
      << r.out;
}

TEST(SymbolsCommandTest, UnresolvablePcIsReportedNotFatal) {
  CommandRun r = RunCommand(kSymtest, {"0x10"}, {});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("0x10: unresolved: "), std::string::npos) << r.out;
}

TEST(SymbolsCommandTest, BadInputExitsTwoWithOneErrorLine) {
  for (const CommandRun& r :
       {RunCommand(kSymtest, {"0xzz"}, {}), RunCommand(kSymtest, {}, {"main.noSuchFunction"}),
        RunCommand("/nonexistent/binary", {}, {}), RunCommand("/bin/true", {}, {})}) {
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with("goretain: error: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace goretain
