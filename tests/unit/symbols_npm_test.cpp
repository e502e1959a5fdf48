// GoBinary on real third-party Go binaries (Go 1.17 - 1.27) installed from npm by
// scripts/install-npm-binaries.sh into GORETAIN_NPM_DIR. Missing binaries FAIL these tests (the
// test script installs them first); they are never skipped.
//
// Expected Go versions and function counts are pinned per package version. The versions were
// cross-checked against the version strings in the files (`strings BINARY | grep go1.`; Debian's
// go 1.19 cannot read newer build info); the counts against the functab size (the first
// function record starts right after the nfunc+1 functab entries). For the Go 1.17 and 1.19
// binaries, Debian's `go tool addr2line` (debug/gosym reads the 1.16-1.19 formats) is a second,
// independent implementation to compare file:line with.
#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "symbols/go_binary.h"
#include "tests/unit/symbols_test_support.h"

namespace goretain::symbols {
namespace {

struct NpmBinary {
  std::string label;                   // test name
  std::string path;                    // relative to GORETAIN_NPM_DIR
  std::string go_version;              // runtime.buildVersion
  std::string main_path;               // empty: the binary carries no module info
  size_t functions;                    // nfunc of the pclntab
  std::vector<std::string> must_have;  // functions that must be found by name
  bool addr2line = false;              // readable by Debian's go 1.19 `go tool addr2line`
};

void PrintTo(const NpmBinary& b, std::ostream* os) { *os << b.label; }

const std::string kEsbuildBin = "/node_modules/@esbuild/linux-x64/bin/esbuild";
const std::vector<std::string> kEsbuildFunctions = {
    "github.com/evanw/esbuild/internal/js_parser.Parse", "main.main", "runtime.makemap",
    "runtime.growslice", "runtime.mallocgc"};

std::vector<NpmBinary> Binaries() {
  const std::string old_bin = "/node_modules/esbuild-linux-64/bin/esbuild";
  return {
      // Go 1.17: pclntab magic 0xfffffffa, absolute functab entries and funcdata pointers,
      // pointer-format build info.
      {"esbuild_0_14_0", "esbuild-0.14.0" + old_bin, "go1.17.2",
       "github.com/evanw/esbuild/cmd/esbuild", 6058, kEsbuildFunctions, true},
      {"esbuild_0_15_18", "esbuild-0.15.18" + old_bin, "go1.19.3",
       "github.com/evanw/esbuild/cmd/esbuild", 6364, kEsbuildFunctions, true},
      {"esbuild_0_19_12", "esbuild-0.19.12" + kEsbuildBin, "go1.20.12",
       "github.com/evanw/esbuild/cmd/esbuild", 7057, kEsbuildFunctions},
      {"esbuild_0_23_0", "esbuild-0.23.0" + kEsbuildBin, "go1.22.4",
       "github.com/evanw/esbuild/cmd/esbuild", 7624, kEsbuildFunctions},
      {"esbuild_0_25_0", "esbuild-0.25.0" + kEsbuildBin, "go1.23.5",
       "github.com/evanw/esbuild/cmd/esbuild", 7979, kEsbuildFunctions},
      // esbuild 0.27 ships without a .go.buildinfo blob: the version comes from the
      // runtime.buildVersion string, and there is no module information.
      {"esbuild_0_27_0", "esbuild-0.27.0" + kEsbuildBin, "go1.25.4", "", 8633, kEsbuildFunctions},
      // Go 1.27: textStart stored as 0, moduledata in .go.module, no .typelink.
      {"buf_1_75_0",
       "buf-1.75.0/node_modules/@bufbuild/buf-linux-x64/bin/buf",
       "go1.27.3",
       "github.com/bufbuild/buf/cmd/buf",
       58519,
       {"main.main", "runtime.makemap", "runtime.growslice", "runtime.mallocgc",
        "github.com/bufbuild/buf/private/buf/bufctl.NewController"}},
  };
}

class NpmBinaryTest : public ::testing::TestWithParam<NpmBinary> {
 protected:
  void SetUp() override {
    path_ = std::string(GORETAIN_NPM_DIR) + "/" + GetParam().path;
    ASSERT_TRUE(std::filesystem::exists(path_))
        << path_
        << " is missing: run scripts/install-npm-binaries.sh (GORETAIN_NPM_DIR=" << GORETAIN_NPM_DIR
        << ")";
    auto b = GoBinary::Open(path_);
    ASSERT_TRUE(b.ok()) << b.error().message;
    bin_ = std::move(*b);
  }
  std::string path_;
  std::unique_ptr<GoBinary> bin_;
};

TEST_P(NpmBinaryTest, GoVersion) {
  const GoVersion& v = bin_->build_info().go_version;
  EXPECT_EQ(v.raw, GetParam().go_version);
  auto parsed = ParseGoVersion(GetParam().go_version);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(v.major, parsed->major);
  EXPECT_EQ(v.minor, parsed->minor);
  EXPECT_EQ(v.patch, parsed->patch);
  EXPECT_EQ(bin_->build_info().main_path, GetParam().main_path);
}

TEST_P(NpmBinaryTest, FunctionTable) {
  auto fns = bin_->functions();
  EXPECT_EQ(fns.size(), GetParam().functions);
  EXPECT_GT(fns.size(), 5000u);
  for (const std::string& name : GetParam().must_have) {
    const Function* f = bin_->FindFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->name, name);
    EXPECT_LT(f->entry, f->end);
    EXPECT_EQ(bin_->FunctionAt(f->entry), f);
    Resolution r = bin_->Resolve(f->entry);
    ASSERT_FALSE(r.frames.empty()) << r.reason;
    EXPECT_EQ(r.frames.back().function, name);
    EXPECT_GT(r.frames.back().line, 0);
  }
  // Every entry lies in an executable PT_LOAD; entries are sorted and ends chain.
  const auto& segments = bin_->elf().load_segments();
  for (size_t i = 0; i < fns.size(); ++i) {
    const Function& f = fns[i];
    const bool in_exec = std::any_of(segments.begin(), segments.end(), [&](const ElfSegment& s) {
      return (s.flags & PF_X) != 0 && f.entry >= s.vaddr && f.entry - s.vaddr < s.memsz;
    });
    ASSERT_TRUE(in_exec) << f.name << " @0x" << std::hex << f.entry.value;
    ASSERT_LE(f.entry, f.end) << f.name;
    if (i + 1 < fns.size()) {
      ASSERT_EQ(f.end, fns[i + 1].entry);
    }
  }
}

TEST_P(NpmBinaryTest, EveryPcResolvesToGoOrAssemblySources) {
  auto fns = bin_->functions();
  size_t resolved = 0, inlined = 0, unknown_call_sites = 0;
  std::set<std::string> odd_files;
  for (const Function& f : fns) {
    // The entry and a few PCs inside each function (not the last byte: it may be padding).
    const uint64_t size = f.end - f.entry;
    for (uint64_t delta : {uint64_t{0}, size / 4, size / 3, size / 2}) {
      if (delta != 0 && delta >= size) continue;
      Resolution r = bin_->Resolve(f.entry + delta);
      if (r.frames.empty() && delta != 0) continue;  // padding inside a tiny function
      // The linker's FIPS boundary markers (Go 1.24+) are functab entries without any code.
      if (r.frames.empty() && f.name.starts_with("go:textfips")) continue;
      ASSERT_FALSE(r.frames.empty()) << f.name << ": " << r.reason;
      ++resolved;
      if (r.frames.size() > 1) ++inlined;
      EXPECT_EQ(r.frames.back().function, f.name);
      EXPECT_FALSE(r.frames.back().inlined);
      for (const Frame& fr : r.frames) {
        // Compiler-generated wrappers are attributed to "<autogenerated>" by the toolchain.
        if (fr.file.ends_with(".go") || fr.file.ends_with(".s") || fr.file == "<autogenerated>") {
          continue;
        }
        if (fr.file.empty() && fr.line == 0 && !fr.inlined) {
          ++unknown_call_sites;  // an inlined call without a call-site instruction (Go 1.27)
          continue;
        }
        odd_files.insert(std::string(fr.file) + " (" + std::string(fr.function) + ")");
      }
    }
  }
  EXPECT_TRUE(odd_files.empty()) << odd_files.size() << " odd files, e.g. " << *odd_files.begin();
  EXPECT_LT(unknown_call_sites, resolved / 1000);
  EXPECT_GT(resolved, fns.size());
  EXPECT_GT(inlined, fns.size() / 20) << "inline expansion found too few inlined sites";
}

TEST_P(NpmBinaryTest, MapTypesAtMakemapCallSites) {
  auto sites = testing::MakemapTypeDescriptors(*bin_);
  ASSERT_GT(sites.size(), 10u);
  size_t literal = 0;
  for (ElfVaddr t : sites) {
    // Kind byte @23: the map kind is 21 in every version (masked with 0x1f before 1.26).
    auto kind = bin_->elf().BytesAt(t + 23, 1);
    ASSERT_EQ(kind.size(), 1u);
    EXPECT_EQ(kind[0] & 0x1f, 21) << std::hex << t.value;
    auto name = bin_->TypeName(t);
    ASSERT_TRUE(name.has_value()) << std::hex << t.value;
    ASSERT_FALSE(name->empty());
    // Either a map literal type or a named map type such as http.Header.
    if (name->starts_with("map[")) {
      ++literal;
    } else {
      EXPECT_NE(name->find('.'), std::string::npos) << *name;
    }
  }
  EXPECT_GT(literal, sites.size() / 2);
}

// The binaries whose pclntab Debian's go 1.19 `go tool addr2line` can read.
class NpmAddr2lineTest : public NpmBinaryTest {};

TEST_P(NpmAddr2lineTest, LinesAgreeWithGoToolAddr2line) {
  // addr2line prints the outermost function and the innermost file:line for each PC.
  std::vector<uint64_t> pcs;
  std::mt19937_64 rng(5);
  auto fns = bin_->functions();
  while (pcs.size() < 20000) {
    const Function& f = fns[rng() % fns.size()];
    pcs.push_back(f.entry.value + rng() % (f.end - f.entry));
  }
  const std::string in = ::testing::TempDir() + "goretain-addr2line-pcs." + std::to_string(getpid()) + ".txt";
  {
    std::ofstream out(in);
    for (uint64_t pc : pcs) out << "0x" << std::hex << pc << "\n";
  }
  auto out = testing::RunCommand("env GOCACHE=" + testing::GoCacheDir() +
                                 " /usr/bin/go tool addr2line '" + path_ + "' < " + in);
  ASSERT_TRUE(out.has_value());
  std::istringstream lines(*out);
  size_t compared = 0, mismatches = 0, inlined = 0;
  for (uint64_t pc : pcs) {
    std::string name, fileline;
    ASSERT_TRUE(std::getline(lines, name) && std::getline(lines, fileline));
    Resolution r = bin_->Resolve(ElfVaddr(pc));
    if (r.frames.empty()) {
      // Padding after a function's code: no line information for either tool.
      EXPECT_EQ(fileline, ":-1") << std::hex << pc;
      continue;
    }
    ++compared;
    inlined += r.frames.size() > 1;
    const std::string ours =
        std::string(r.frames.front().file) + ":" + std::to_string(r.frames.front().line);
    if (name != r.frames.back().function || fileline != ours) {
      if (++mismatches <= 10) {
        ADD_FAILURE() << std::hex << "0x" << pc << ": addr2line " << name << " " << fileline
                      << ", ours " << r.frames.back().function << " " << ours;
      }
    }
  }
  EXPECT_GT(compared, 15000u);
  EXPECT_GT(inlined, 1000u);
  EXPECT_EQ(mismatches, 0u);
}

TEST_P(NpmBinaryTest, CodeIsReadable) {
  const Function* f = bin_->FindFunction("runtime.mallocgc");
  ASSERT_NE(f, nullptr);
  auto code = bin_->Code(*f);
  EXPECT_EQ(code.size(), f->end - f->entry);
  // Every Go version's mallocgc starts with its stack check: CMPQ SP, 16(R14) or LEAQ.
  ASSERT_GE(code.size(), 4u);
  EXPECT_TRUE((code[0] == 0x49 && code[1] == 0x3b) || (code[0] == 0x4c && code[1] == 0x8d));
}

std::vector<NpmBinary> Addr2lineBinaries() {
  std::vector<NpmBinary> out;
  for (const NpmBinary& b : Binaries()) {
    if (b.addr2line) out.push_back(b);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Npm, NpmBinaryTest, ::testing::ValuesIn(Binaries()),
                         [](const auto& info) { return info.param.label; });
INSTANTIATE_TEST_SUITE_P(Npm, NpmAddr2lineTest, ::testing::ValuesIn(Addr2lineBinaries()),
                         [](const auto& info) { return info.param.label; });

}  // namespace
}  // namespace goretain::symbols
