// GoBinary on inputs that are not (intact) Go binaries: the right error, never a crash or a hang.
// Also: the pure parsers (ParseGoVersion, modinfo) and fuzzer-found regressions.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "symbols/buildinfo.h"
#include "symbols/go_binary.h"
#include "tests/unit/symbols_test_support.h"

namespace goretain::symbols {
namespace {

using testing::TargetPath;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The name carries the PID: ctest runs each test as its own process, and two of them rewriting one
// file while the other has it mapped would crash the reader with SIGBUS.
std::string WriteTempFile(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + name + "." + std::to_string(getpid());
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// Opens `content` as a binary and exercises every query; must not crash whatever it is.
void Exercise(const std::string& content) {
  auto bin = GoBinary::Open(WriteTempFile("goretain-robustness", content));
  if (!bin.ok()) {
    EXPECT_FALSE(bin.error().message.empty());
    return;
  }
  auto fns = (*bin)->functions();
  for (size_t i = 0; i < fns.size(); i += 1 + fns.size() / 200) {
    (*bin)->Resolve(fns[i].entry);
    (*bin)->Resolve(ElfVaddr(fns[i].entry.value + 7), PcKind::kReturnAddress);
    (*bin)->Code(fns[i]);
    (*bin)->TypeName(fns[i].entry);
    (*bin)->FindFunction(fns[i].name);
  }
}

TEST(GoBinaryErrorsTest, NotFound) {
  auto r = GoBinary::Open("/nonexistent/goretain-test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(GoBinaryErrorsTest, ElfWithoutPclntabIsNotGo) {
  // A C program from the base system.
  auto r = GoBinary::Open("/bin/true");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotGo) << r.error().message;
}

TEST(GoBinaryErrorsTest, OtherMachinesAreUnsupported) {
  std::string data = ReadFile(TargetPath("symtest"));
  ASSERT_GT(data.size(), 64u);
  data[18] = static_cast<char>(183);  // e_machine = EM_AARCH64
  data[19] = 0;
  auto r = GoBinary::Open(WriteTempFile("aarch64", data));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
}

TEST(GoBinaryErrorsTest, OldPclntabIsUnsupported) {
  auto bin = GoBinary::Open(TargetPath("symtest"));
  ASSERT_TRUE(bin.ok());
  const ElfSection* s = (*bin)->elf().FindSection(".gopclntab");
  ASSERT_NE(s, nullptr);
  std::string data = ReadFile(TargetPath("symtest"));
  data[s->offset.value] = static_cast<char>(0xfb);  // Go 1.2-1.15 magic
  auto r = GoBinary::Open(WriteTempFile("go115", data));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported) << r.error().message;
}

TEST(GoBinaryErrorsTest, CorruptPclntabHeaderIsBadInput) {
  auto bin = GoBinary::Open(TargetPath("symtest"));
  ASSERT_TRUE(bin.ok());
  const ElfSection* s = (*bin)->elf().FindSection(".gopclntab");
  ASSERT_NE(s, nullptr);
  std::string data = ReadFile(TargetPath("symtest"));
  // nfunc far beyond the table.
  for (int i = 8; i < 16; ++i) data[s->offset.value + i] = static_cast<char>(0x7f);
  auto r = GoBinary::Open(WriteTempFile("bad-nfunc", data));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadInput) << r.error().message;
}

TEST(GoBinaryErrorsTest, TruncatedCopiesNeverCrash) {
  for (const char* name : {"symtest", "symtest-stripped", "symtest-pie"}) {
    const std::string data = ReadFile(TargetPath(name));
    ASSERT_FALSE(data.empty());
    for (size_t cut : {size_t{0}, size_t{16}, size_t{64}, size_t{4096}, data.size() / 4,
                       data.size() / 2, data.size() * 3 / 4, data.size() - 1}) {
      SCOPED_TRACE(std::string(name) + " cut at " + std::to_string(cut));
      Exercise(data.substr(0, cut));
    }
  }
}

TEST(GoBinaryErrorsTest, RandomlyCorruptedPclntabNeverCrashes) {
  auto bin = GoBinary::Open(TargetPath("symtest-stripped"));
  ASSERT_TRUE(bin.ok());
  const ElfSection* s = (*bin)->elf().FindSection(".gopclntab");
  ASSERT_NE(s, nullptr);
  const std::string original = ReadFile(TargetPath("symtest-stripped"));
  std::mt19937_64 rng(7);
  for (int round = 0; round < 40; ++round) {
    std::string data = original;
    for (int k = 0; k < 64; ++k) {
      // Mostly the header and functab (where damage matters most), sometimes anywhere.
      const uint64_t span = (k % 2 == 0) ? std::min<uint64_t>(s->size, 4096) : s->size;
      data[s->offset.value + rng() % span] = static_cast<char>(rng());
    }
    SCOPED_TRACE("round " + std::to_string(round));
    Exercise(data);
  }
}

TEST(GoBinaryErrorsTest, FuzzRegressions) {
  // Inputs found by tests/fuzz/symbols_fuzz.cpp that once crashed or hung.
  const std::filesystem::path dir =
      std::filesystem::path(GORETAIN_SOURCE_DIR) / "tests/unit/testdata/symbols_fuzz";
  if (!std::filesystem::exists(dir)) return;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().string());
    Exercise(ReadFile(entry.path().string()));
  }
}

TEST(GoBinaryConcurrencyTest, ParallelResolvesMatchSerialOnes) {
  // Resolve builds line-table checkpoints and the name index lazily; both must be thread-safe.
  auto bin = GoBinary::Open(TargetPath("symtest"));
  ASSERT_TRUE(bin.ok());
  const GoBinary& b = **bin;
  std::vector<uint64_t> pcs;
  for (const Function& f : b.functions()) {
    for (uint64_t pc = f.entry.value; pc < f.end.value; pc += 13) pcs.push_back(pc);
  }
  auto render = [&](uint64_t pc) {
    std::string s;
    for (const Frame& f : b.Resolve(ElfVaddr(pc)).frames) s += testing::FrameString(f) + "|";
    return s;
  };
  std::vector<std::vector<std::string>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      b.FindFunction("main.main");
      for (size_t i = 0; i < pcs.size(); ++i) {
        // Each thread walks the PCs in a different order to race on first uses.
        const size_t k = (t % 2 == 0) ? i : pcs.size() - 1 - i;
        results[t].push_back(render(pcs[k]));
      }
      if (t % 2 == 1) std::reverse(results[t].begin(), results[t].end());
    });
  }
  for (auto& th : threads) th.join();
  auto fresh = GoBinary::Open(TargetPath("symtest"));
  ASSERT_TRUE(fresh.ok());
  for (size_t i = 0; i < pcs.size(); ++i) {
    std::string serial;
    for (const Frame& f : (*fresh)->Resolve(ElfVaddr(pcs[i])).frames) {
      serial += testing::FrameString(f) + "|";
    }
    for (const auto& r : results) ASSERT_EQ(r[i], serial) << std::hex << pcs[i];
  }
}

TEST(ParseGoVersionTest, ReleasesAndPrereleases) {
  auto v = ParseGoVersion("go1.19.8");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->major, 1);
  EXPECT_EQ(v->minor, 19);
  EXPECT_EQ(v->patch, 8);
  EXPECT_EQ(v->raw, "go1.19.8");

  v = ParseGoVersion("go1.25.1 X:greenteagc");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->minor, 25);
  EXPECT_EQ(v->patch, 1);
  EXPECT_EQ(v->raw, "go1.25.1 X:greenteagc");

  v = ParseGoVersion("go1.21rc2");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->minor, 21);
  EXPECT_EQ(v->patch, 0);

  v = ParseGoVersion("go1.22beta1");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->minor, 22);

  v = ParseGoVersion("go1.21");
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->AtLeast(1, 21));
  EXPECT_FALSE(v->AtLeast(1, 22));

  for (const char* bad : {"", "go", "go1", "go1.", "devel go1.22-abc", "go1.x", "go1.21.",
                          "go1.21rc", "go1.21foo", "1.21.0", "go1.99999999999999999999"}) {
    EXPECT_FALSE(ParseGoVersion(bad).has_value()) << bad;
  }
}

TEST(ModInfoTest, PathAndModuleWithSentinels) {
  const std::string body =
      "path\tgithub.com/evanw/esbuild/cmd/esbuild\n"
      "mod\tgithub.com/evanw/esbuild\t(devel)\t\n"
      "dep\tgolang.org/x/sys\tv0.1.0\th1:abc=\n"
      "build\t-compiler=gc\n";
  // The runtime's sentinels are 16 opaque bytes on each side.
  const std::string sentinel(16, '\xa5');
  BuildInfo info;
  ParseModInfo(sentinel + body + sentinel, &info);
  EXPECT_EQ(info.main_path, "github.com/evanw/esbuild/cmd/esbuild");
  EXPECT_EQ(info.main_module, "github.com/evanw/esbuild");

  BuildInfo plain;
  ParseModInfo(body, &plain);
  EXPECT_EQ(plain.main_path, "github.com/evanw/esbuild/cmd/esbuild");
  EXPECT_EQ(plain.main_module, "github.com/evanw/esbuild");

  BuildInfo none;
  ParseModInfo("garbage without tabs\n\n", &none);
  EXPECT_TRUE(none.main_path.empty());
  EXPECT_TRUE(none.main_module.empty());
}

}  // namespace
}  // namespace goretain::symbols
