// symbols_bench: index and resolve timings of goretain_symbols, and a side-by-side with
// `go tool addr2line`. Run through scripts/bench-symbols.sh.
//
//   symbols_bench --index BINARY [--pcs N] [--addr2line GO119_BINARY --addr2line-pcs N]
//
// Figures: index time (GoBinary::Open; cold = first open in this process, warm = median of
// repeated opens) and name-index time (first FindFunction); heap bytes the index allocates
// (mallinfo2 delta) against the pclntab size; N random PCs resolved with inline expansion; and,
// for the addr2line binary, the same random PCs through both tools with the agreement rate.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "symbols/go_binary.h"

namespace {

using goretain::ElfVaddr;
using goretain::symbols::GoBinary;
using Clock = std::chrono::steady_clock;

// Heap bytes in use (small chunks plus mmap'd large ones).
size_t HeapInUse() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::unique_ptr<GoBinary> OpenOrDie(const std::string& path) {
  auto b = GoBinary::Open(path);
  if (!b.ok()) {
    std::fprintf(stderr, "symbols_bench: %s\n", b.error().message.c_str());
    std::exit(1);
  }
  return std::move(*b);
}

// Uniformly random PCs inside functions (weighted by function size, like profiler samples).
std::vector<uint64_t> RandomPcs(const GoBinary& b, size_t n, uint64_t seed) {
  auto fns = b.functions();
  const uint64_t lo = fns.front().entry.value, hi = fns.back().end.value;
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> pcs;
  pcs.reserve(n);
  while (pcs.size() < n) {
    const uint64_t pc = lo + rng() % (hi - lo);
    if (b.FunctionAt(ElfVaddr(pc)) != nullptr) pcs.push_back(pc);
  }
  return pcs;
}

void BenchIndex(const std::string& path, size_t npcs) {
  const size_t heap_before = HeapInUse();
  auto t0 = Clock::now();
  auto bin = OpenOrDie(path);
  auto t1 = Clock::now();
  const size_t heap_open = HeapInUse() - heap_before;
  bin->FindFunction("main.main");
  auto t2 = Clock::now();
  const size_t heap_all = HeapInUse() - heap_before;

  std::vector<double> warm;
  for (int i = 0; i < 9; ++i) {
    auto a = Clock::now();
    auto again = OpenOrDie(path);
    warm.push_back(Ms(Clock::now() - a));
  }
  std::sort(warm.begin(), warm.end());

  const auto* sec = bin->elf().FindSection(".gopclntab");
  const uint64_t pclntab = sec != nullptr ? sec->size : 0;
  std::printf("binary:               %s (%s)\n", path.c_str(),
              bin->build_info().go_version.raw.c_str());
  std::printf("functions:            %zu, pclntab %.2f MB\n", bin->functions().size(),
              pclntab / 1e6);
  std::printf("index (open) time:    cold %.2f ms, warm median %.2f ms\n", Ms(t1 - t0), warm[4]);
  std::printf("name index (lazy):    %.2f ms\n", Ms(t2 - t1));
  std::printf("index heap:           %.2f MB after open, %.2f MB with name index = %.2fx pclntab\n",
              heap_open / 1e6, heap_all / 1e6, pclntab ? double(heap_all) / pclntab : 0.0);

  auto pcs = RandomPcs(*bin, npcs, 42);
  size_t frames = 0, inlined = 0, failed = 0;
  auto r0 = Clock::now();
  for (uint64_t pc : pcs) {
    auto r = bin->Resolve(ElfVaddr(pc));
    frames += r.frames.size();
    inlined += r.frames.size() > 1;
    failed += r.frames.empty();
  }
  auto r1 = Clock::now();
  const size_t heap_resolved = HeapInUse() - heap_before - pcs.size() * sizeof(uint64_t);
  std::printf(
      "resolve %zu PCs:    %.1f ms (%.0f ns/PC), %zu frames, %zu PCs inlined, %zu unresolved\n",
      pcs.size(), Ms(r1 - r0), Ms(r1 - r0) * 1e6 / pcs.size(), frames, inlined, failed);
  std::printf("index heap after:     %.2f MB (with line-table checkpoints) = %.2fx pclntab\n",
              heap_resolved / 1e6, pclntab ? double(heap_resolved) / pclntab : 0.0);
}

void BenchAddr2line(const std::string& path, size_t npcs, const std::string& go) {
  auto bin = OpenOrDie(path);
  auto pcs = RandomPcs(*bin, npcs, 7);
  char tmpl[] = "/tmp/goretain-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return;
  const std::string dir = tmpl, in = dir + "/pcs.txt", out = dir + "/addr2line.txt";
  {
    std::ofstream f(in);
    for (uint64_t pc : pcs) f << "0x" << std::hex << pc << "\n";
  }
  const std::string cmd = "env GOCACHE=" + dir + "/gocache " + go + " tool addr2line '" + path +
                          "' < " + in + " > " + out;
  auto a0 = Clock::now();
  const int rc = std::system(cmd.c_str());
  auto a1 = Clock::now();
  if (rc != 0) {
    std::printf("go tool addr2line failed (%d)\n", rc);
    return;
  }
  // Ours, including open, for a like-for-like comparison with a process that opens the file.
  auto o0 = Clock::now();
  auto ours = OpenOrDie(path);
  std::vector<goretain::symbols::Resolution> res;
  res.reserve(pcs.size());
  for (uint64_t pc : pcs) res.push_back(ours->Resolve(ElfVaddr(pc)));
  auto o1 = Clock::now();

  // addr2line prints two lines per PC: function name, then file:line (innermost line, outermost
  // function: it does not expand inlining).
  std::ifstream f(out);
  std::string name, fileline;
  size_t agree = 0, total = 0, unresolved = 0;
  for (const auto& r : res) {
    if (!std::getline(f, name) || !std::getline(f, fileline)) break;
    ++total;
    if (r.frames.empty()) {
      // Padding after a function's code: addr2line prints ":-1" (no file, line -1) there.
      if (fileline == ":-1" || fileline == "?:0") {
        ++agree;
        ++unresolved;
      } else {
        std::printf("  addr2line resolves %s %s, ours: %s\n", name.c_str(), fileline.c_str(),
                    r.reason.c_str());
      }
      continue;
    }
    const std::string ours_fl =
        std::string(r.frames.front().file) + ":" + std::to_string(r.frames.front().line);
    if (name == r.frames.back().function && fileline == ours_fl) {
      ++agree;
    } else if (total - agree <= 3) {
      std::printf("  differs: addr2line %s %s, ours %s %s\n", name.c_str(), fileline.c_str(),
                  std::string(r.frames.back().function).c_str(), ours_fl.c_str());
    }
  }
  std::printf("addr2line binary:     %s, %zu random PCs\n", path.c_str(), pcs.size());
  std::printf("go tool addr2line:    %.1f ms (process, incl. startup)\n", Ms(a1 - a0));
  std::printf("goretain_symbols:     %.1f ms (open + resolve with inline expansion)\n",
              Ms(o1 - o0));
  std::printf("speed ratio:          %.1fx faster\n", Ms(a1 - a0) / Ms(o1 - o0));
  std::printf(
      "agreement:            %zu / %zu PCs same function and file:line (%zu unresolved by both)\n",
      agree, total, unresolved);
  std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string index, a2l, go = "/usr/bin/go";
  size_t npcs = 1000000, a2l_pcs = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--index")
      index = v;
    else if (k == "--pcs")
      npcs = std::stoul(v);
    else if (k == "--addr2line")
      a2l = v;
    else if (k == "--addr2line-pcs")
      a2l_pcs = std::stoul(v);
    else if (k == "--go")
      go = v;
  }
  if (index.empty() && a2l.empty()) {
    std::fprintf(stderr, "usage: symbols_bench --index BINARY [--pcs N] [--addr2line BINARY]\n");
    return 2;
  }
  if (!index.empty()) BenchIndex(index, npcs);
  if (!a2l.empty()) BenchAddr2line(a2l, a2l_pcs, go);
  return 0;
}
