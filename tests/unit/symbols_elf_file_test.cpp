// ElfFile on the Go test targets and on files that are not what they claim to be.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "symbols/elf_file.h"
#include "tests/unit/symbols_test_support.h"

namespace goretain::symbols {
namespace {

using testing::TargetPath;

std::string WriteTempFile(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + name + "." + std::to_string(getpid());
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(ElfFileTest, OpensAGoBinary) {
  auto elf = ElfFile::Open(TargetPath("symtest"));
  ASSERT_TRUE(elf.ok()) << elf.error().message;
  EXPECT_EQ((*elf)->machine(), EM_X86_64);
  EXPECT_FALSE((*elf)->is_pie());
  EXPECT_EQ((*elf)->path(), TargetPath("symtest"));
  ASSERT_NE((*elf)->FindSection(".gopclntab"), nullptr);
  ASSERT_NE((*elf)->FindSection(".text"), nullptr);
  EXPECT_EQ((*elf)->FindSection(".no-such-section"), nullptr);
  EXPECT_GE((*elf)->load_segments().size(), 2u);
}

TEST(ElfFileTest, PieIsDyn) {
  auto elf = ElfFile::Open(TargetPath("symtest-pie"));
  ASSERT_TRUE(elf.ok());
  EXPECT_TRUE((*elf)->is_pie());
  EXPECT_NE((*elf)->FindSection(".data.rel.ro.gopclntab"), nullptr);
}

TEST(ElfFileTest, SymbolsOnlyWhenNotStripped) {
  auto elf = ElfFile::Open(TargetPath("symtest"));
  ASSERT_TRUE(elf.ok());
  auto sym = (*elf)->FindSymbol("main.main");
  ASSERT_TRUE(sym.has_value());
  EXPECT_EQ(sym->name, "main.main");
  EXPECT_GT(sym->size, 0u);
  EXPECT_FALSE((*elf)->FindSymbol("main.noSuchSymbol").has_value());

  auto stripped = ElfFile::Open(TargetPath("symtest-stripped"));
  ASSERT_TRUE(stripped.ok());
  EXPECT_FALSE((*stripped)->FindSymbol("main.main").has_value());
}

TEST(ElfFileTest, AddressTranslationMatchesSectionHeaders) {
  for (const char* name : {"symtest", "symtest-pie"}) {
    auto elf = ElfFile::Open(TargetPath(name));
    ASSERT_TRUE(elf.ok());
    const ElfSection* text = (*elf)->FindSection(".text");
    ASSERT_NE(text, nullptr);
    auto off = (*elf)->ToFileOffset(text->addr + 16);
    ASSERT_TRUE(off.has_value());
    EXPECT_EQ(off->value, text->offset.value + 16);
    auto bytes = (*elf)->BytesAt(text->addr, 64);
    auto section = (*elf)->SectionData(*text);
    ASSERT_EQ(bytes.size(), 64u);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), section.begin()));
    // .bss is not file-backed.
    const ElfSection* bss = (*elf)->FindSection(".bss");
    ASSERT_NE(bss, nullptr);
    EXPECT_TRUE((*elf)->SectionData(*bss).empty());
    EXPECT_TRUE((*elf)->BytesAt(bss->addr + 8, 8).empty());
    EXPECT_FALSE((*elf)->ToFileOffset(ElfVaddr(0x10)).has_value());
    EXPECT_TRUE((*elf)->BytesAt(ElfVaddr(0x10), 1).empty());
    EXPECT_TRUE((*elf)->BytesAt(text->addr, UINT64_MAX).empty());
  }
}

TEST(ElfFileTest, Errors) {
  auto missing = ElfFile::Open("/nonexistent/goretain-test");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent/goretain-test"), std::string::npos);

  auto dir = ElfFile::Open("/");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().code, ErrorCode::kBadInput);

  auto text = ElfFile::Open(WriteTempFile("not-elf", std::string(200, 'x')));
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, ErrorCode::kBadInput);

  auto empty = ElfFile::Open(WriteTempFile("empty", ""));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kBadInput);

  // A valid ELF identification followed by nothing.
  std::string ident(
      "\x7f"
      "ELF\x02\x01\x01",
      7);
  ident.resize(64, '\0');
  auto truncated = ElfFile::Open(WriteTempFile("ident-only", ident));
  EXPECT_FALSE(truncated.ok() && !(*truncated)->load_segments().empty());
}

TEST(ElfFileTest, UnreadableFileIsAPermissionError) {
  std::string path = WriteTempFile("unreadable", "x");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  // Root reads any file: open it as an unprivileged user, in a child process.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    auto r = ElfFile::Open(path);
    _exit(!r.ok() && r.error().code == ErrorCode::kPermission ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: not a permission error, 3: could not drop root";
}

}  // namespace
}  // namespace goretain::symbols
