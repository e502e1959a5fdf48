// GoBinary against ground truth on the Go 1.19 test targets (default, stripped, PIE, noopt):
// `go tool nm` for the function table, the DWARF line table (libdw) for file:line, and the
// symtest fixture's marker lines for inline expansion.
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>

#include "symbols/go_binary.h"
#include "tests/unit/symbols_test_support.h"

namespace goretain::symbols {
namespace {

using testing::FrameString;
using testing::MarkerLine;
using testing::NmTextSymbols;
using testing::TargetPath;

// A [begin, end) address range with one line-table row.
struct LineRange {
  uint64_t begin, end;
  std::string file;
  int line;
};

// All address ranges of the DWARF line tables of `path` (the last row wins at equal addresses).
std::vector<LineRange> DwarfLineRanges(const std::string& path) {
  std::vector<LineRange> out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  Dwarf* dw = dwarf_begin(fd, DWARF_C_READ);
  if (dw == nullptr) {
    close(fd);
    return out;
  }
  Dwarf_Off off = 0, next = 0;
  size_t hsize = 0;
  while (dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dw, off + hsize, &cu) != nullptr) {
      Dwarf_Lines* lines = nullptr;
      size_t n = 0;
      if (dwarf_getsrclines(&cu, &lines, &n) == 0) {
        for (size_t i = 0; i + 1 < n; ++i) {
          Dwarf_Line* row = dwarf_onesrcline(lines, i);
          Dwarf_Line* following = dwarf_onesrcline(lines, i + 1);
          bool end_seq = false;
          Dwarf_Addr a = 0, b = 0;
          int line = 0;
          dwarf_lineendsequence(row, &end_seq);
          if (end_seq || dwarf_lineaddr(row, &a) != 0 || dwarf_lineaddr(following, &b) != 0 ||
              b <= a || dwarf_lineno(row, &line) != 0) {
            continue;
          }
          const char* file = dwarf_linesrc(row, nullptr, nullptr);
          out.push_back(LineRange{a, b, file != nullptr ? file : "", line});
        }
      }
    }
    off = next;
  }
  dwarf_end(dw);
  close(fd);
  return out;
}

struct Variant {
  std::string binary;     // file under test
  std::string reference;  // unstripped sibling: nm and DWARF ground truth
  bool inlines;           // built with inlining
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.binary; }

class Go119Test : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    auto b = GoBinary::Open(TargetPath(GetParam().binary));
    ASSERT_TRUE(b.ok()) << b.error().message;
    bin_ = std::move(*b);
  }
  std::unique_ptr<GoBinary> bin_;
};

TEST_P(Go119Test, BuildInfoMatchesTheToolchain) {
  const BuildInfo& info = bin_->build_info();
  auto go =
      testing::RunCommand("env GOCACHE=" + testing::GoCacheDir() + " /usr/bin/go env GOVERSION");
  ASSERT_TRUE(go.has_value());
  std::string expected = go->substr(0, go->find_first_of("\n "));
  EXPECT_EQ(info.go_version.raw, expected);
  EXPECT_EQ(info.go_version.major, 1);
  EXPECT_EQ(info.go_version.minor, 19);
  EXPECT_EQ(info.main_module, "goretain.test/targets");
  const std::string program = GetParam().binary.substr(0, GetParam().binary.find('-'));
  EXPECT_EQ(info.main_path, "goretain.test/targets/" + program);
}

TEST_P(Go119Test, EveryNmFunctionIsInTheTable) {
  auto nm = NmTextSymbols(TargetPath(GetParam().reference));
  ASSERT_GT(nm.size(), 1000u);
  // Linker-defined boundary labels are text symbols but not functions.
  nm.erase("runtime.text");
  nm.erase("runtime.etext");
  size_t missing = 0;
  for (const auto& [name, addr] : nm) {
    const Function* f = bin_->FunctionAt(ElfVaddr(addr));
    const std::string expected = testing::PclntabName(name);
    if (f == nullptr || f->entry.value != addr || f->name != expected) {
      if (++missing <= 10) {
        ADD_FAILURE() << "nm function " << expected << " @0x" << std::hex << addr << ", ours "
                      << (f != nullptr ? std::string(f->name) : "none");
      }
    }
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(bin_->functions().size(), nm.size());
}

TEST_P(Go119Test, FunctionTableIsSortedAndSearchable) {
  auto fns = bin_->functions();
  ASSERT_FALSE(fns.empty());
  for (size_t i = 0; i < fns.size(); ++i) {
    const Function& f = fns[i];
    ASSERT_LT(f.entry, f.end) << f.name;
    if (i + 1 < fns.size()) {
      ASSERT_EQ(f.end, fns[i + 1].entry) << f.name;
    }
    ASSERT_EQ(bin_->FunctionAt(f.entry), &f) << f.name;
    ASSERT_EQ(bin_->FunctionAt(ElfVaddr(f.end.value - 1)), &f) << f.name;
    const Function* byname = bin_->FindFunction(f.name);
    ASSERT_NE(byname, nullptr) << f.name;
    ASSERT_EQ(byname->name, f.name);
  }
  EXPECT_EQ(bin_->FunctionAt(ElfVaddr(fns.front().entry.value - 1)), nullptr);
  EXPECT_EQ(bin_->FunctionAt(fns.back().end), nullptr);
  EXPECT_EQ(bin_->FindFunction("main.noSuchFunction"), nullptr);
  for (const char* name :
       {"main.main", "runtime.makemap", "runtime.growslice", "runtime.mallocgc"}) {
    EXPECT_NE(bin_->FindFunction(name), nullptr) << name;
  }
}

TEST_P(Go119Test, LinesAgreeWithDwarf) {
  auto ranges = DwarfLineRanges(TargetPath(GetParam().reference));
  ASSERT_GT(ranges.size(), 1000u);
  // Every row start plus random PCs inside rows, deterministically.
  std::vector<std::pair<uint64_t, const LineRange*>> samples;
  for (const LineRange& r : ranges) samples.emplace_back(r.begin, &r);
  std::mt19937_64 rng(19);
  while (samples.size() < 30000) {
    const LineRange& r = ranges[rng() % ranges.size()];
    samples.emplace_back(r.begin + rng() % (r.end - r.begin), &r);
  }
  size_t compared = 0, inlined = 0, mismatches = 0;
  for (const auto& [pc, row] : samples) {
    Resolution res = bin_->Resolve(ElfVaddr(pc));
    ++compared;
    if (res.frames.empty()) {
      if (++mismatches <= 10) ADD_FAILURE() << std::hex << "0x" << pc << ": " << res.reason;
      continue;
    }
    if (res.frames.size() > 1) ++inlined;
    const Frame& inner = res.frames.front();
    // Go's DWARF spells relative names ("<autogenerated>") with a "./" prefix; pclntab does not.
    std::string_view dwarf_file = row->file;
    if (dwarf_file.starts_with("./")) dwarf_file.remove_prefix(2);
    if (inner.line != row->line || inner.file != dwarf_file) {
      if (++mismatches <= 10) {
        ADD_FAILURE() << std::hex << "0x" << pc << std::dec << ": ours " << FrameString(inner)
                      << ", DWARF " << row->file << ":" << row->line;
      }
    }
  }
  EXPECT_GE(compared, 10000u);
  EXPECT_EQ(mismatches, 0u);
  if (GetParam().inlines) {
    EXPECT_GT(inlined, 500u) << "too few inlined sites among the samples";
  } else {
    EXPECT_EQ(inlined, 0u) << "-gcflags=all=-N -l must not inline";
  }
}

// The symtest fixture's inlined allocation (the four symtest variants only).
class SymtestInlineTest : public Go119Test {};

TEST_P(SymtestInlineTest, InlinedMakeResolvesToCalleeThenCaller) {
  const std::string source = std::string(GORETAIN_SOURCE_DIR) + "/tests/targets/symtest/main.go";
  const int make_line = MarkerLine(source, "// symtest: inlined make");
  const int call_line = MarkerLine(source, "// symtest: call site");
  ASSERT_GT(make_line, 0);
  ASSERT_GT(call_line, 0);
  const Function* fill = bin_->FindFunction("main.fillIndex");
  ASSERT_NE(fill, nullptr);

  size_t inlined_pcs = 0;
  bool in_padding = false;
  for (uint64_t pc = fill->entry.value; pc < fill->end.value; ++pc) {
    Resolution r = bin_->Resolve(ElfVaddr(pc));
    // Only the alignment padding at the end has no line information.
    if (r.frames.empty()) {
      EXPECT_FALSE(r.reason.empty());
      in_padding = true;
      continue;
    }
    ASSERT_FALSE(in_padding) << "resolvable pc after unresolvable ones";
    EXPECT_FALSE(r.frames.back().inlined);
    EXPECT_EQ(r.frames.back().function, "main.fillIndex");
    if (r.frames.size() == 1) continue;
    ++inlined_pcs;
    ASSERT_EQ(r.frames.size(), 2u);
    EXPECT_EQ(r.frames[0].function, "main.newIndex");
    EXPECT_TRUE(r.frames[0].inlined);
    EXPECT_EQ(r.frames[0].line, make_line) << FrameString(r.frames[0]);
    EXPECT_TRUE(r.frames[0].file.ends_with("tests/targets/symtest/main.go"));
    EXPECT_EQ(r.frames[1].line, call_line) << FrameString(r.frames[1]);
    EXPECT_TRUE(r.frames[1].file.ends_with("tests/targets/symtest/main.go"));
  }
  if (GetParam().inlines) {
    EXPECT_GT(inlined_pcs, 0u);
  } else {
    EXPECT_EQ(inlined_pcs, 0u);
    EXPECT_NE(bin_->FindFunction("main.newIndex"), nullptr);
  }
}

TEST_P(Go119Test, ReturnAddressesResolveAsTheCallInstruction) {
  auto fns = bin_->functions();
  for (size_t i = 0; i < fns.size(); i += 7) {
    const Function& f = fns[i];
    for (uint64_t pc = f.entry.value + 1; pc < f.end.value; pc += 5) {
      Resolution a = bin_->Resolve(ElfVaddr(pc), PcKind::kReturnAddress);
      Resolution b = bin_->Resolve(ElfVaddr(pc - 1), PcKind::kExact);
      ASSERT_EQ(a.frames.size(), b.frames.size());
      for (size_t k = 0; k < a.frames.size(); ++k) {
        ASSERT_EQ(FrameString(a.frames[k]), FrameString(b.frames[k]));
      }
    }
  }
  // A return address right after a function's first instruction byte belongs to that function.
  const Function* f = bin_->FindFunction("runtime.mallocgc");
  ASSERT_NE(f, nullptr);
  Resolution r = bin_->Resolve(f->entry + 1, PcKind::kReturnAddress);
  ASSERT_FALSE(r.frames.empty());
  EXPECT_EQ(r.frames.back().function, f->name);
}

TEST_P(Go119Test, UnresolvablePcsSayWhy) {
  Resolution r = bin_->Resolve(ElfVaddr(0x10));
  EXPECT_TRUE(r.frames.empty());
  EXPECT_FALSE(r.reason.empty());
  r = bin_->Resolve(bin_->functions().back().end);
  EXPECT_TRUE(r.frames.empty());
  EXPECT_FALSE(r.reason.empty());
}

TEST_P(Go119Test, CodeIsTheFunctionsBytesInTheFile) {
  const ElfFile& elf = bin_->elf();
  const ElfSection* text = elf.FindSection(".text");
  ASSERT_NE(text, nullptr);
  for (const char* name : {"main.fillIndex", "runtime.makemap", "runtime.growslice"}) {
    const Function* f = bin_->FindFunction(name);
    if (f == nullptr) continue;  // counts has no fillIndex
    auto code = bin_->Code(*f);
    ASSERT_EQ(code.size(), f->end - f->entry) << name;
    const uint64_t file_off = text->offset.value + (f->entry - text->addr);
    ASSERT_LE(file_off + code.size(), elf.bytes().size());
    EXPECT_TRUE(std::equal(code.begin(), code.end(), elf.bytes().begin() + file_off)) << name;
    // Go 1.19 amd64 functions with a stack check start with CMPQ SP, 16(R14) (49 3b 66 10) or,
    // for large frames, LEAQ -x(SP), R12 (4c 8d 64 24).
    EXPECT_TRUE((code[0] == 0x49 && code[1] == 0x3b) || (code[0] == 0x4c && code[1] == 0x8d))
        << name;
  }
}

TEST_P(Go119Test, TypeNamesFromTypelinks) {
  auto descriptors = testing::TypelinkDescriptors(bin_->elf());
  ASSERT_GT(descriptors.size(), 50u);
  std::set<std::string> names;
  for (ElfVaddr d : descriptors) {
    auto name = bin_->TypeName(d);
    ASSERT_TRUE(name.has_value()) << std::hex << d.value;
    ASSERT_FALSE(name->empty());
    names.insert(*name);
  }
  if (GetParam().binary.rfind("symtest", 0) == 0) {
    EXPECT_TRUE(names.count("map[string]int")) << "map[string]int";
    EXPECT_TRUE(names.count("[]main.Item")) << "[]main.Item";
  }
  EXPECT_TRUE(names.count("[]string"));
  EXPECT_FALSE(bin_->TypeName(ElfVaddr(0x10)).has_value());
  EXPECT_FALSE(bin_->TypeName(bin_->functions().front().entry).has_value());
}

std::string VariantName(const ::testing::TestParamInfo<Variant>& info) {
  std::string s = info.param.binary;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(Targets, Go119Test,
                         ::testing::Values(Variant{"symtest", "symtest", true},
                                           Variant{"symtest-stripped", "symtest", true},
                                           Variant{"symtest-pie", "symtest-pie", true},
                                           Variant{"symtest-noopt", "symtest-noopt", false},
                                           Variant{"counts", "counts", true},
                                           Variant{"counts-stripped", "counts", true},
                                           Variant{"counts-pie", "counts-pie", true},
                                           Variant{"counts-noopt", "counts-noopt", false}),
                         VariantName);

INSTANTIATE_TEST_SUITE_P(Targets, SymtestInlineTest,
                         ::testing::Values(Variant{"symtest", "symtest", true},
                                           Variant{"symtest-stripped", "symtest", true},
                                           Variant{"symtest-pie", "symtest-pie", true},
                                           Variant{"symtest-noopt", "symtest-noopt", false}),
                         VariantName);

}  // namespace
}  // namespace goretain::symbols
