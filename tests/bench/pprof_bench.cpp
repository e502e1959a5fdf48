// pprof_bench: how long `--format pprof` takes to render and write a report of N call sites
// (default 10,000), each with an 8-PC stack of which the site's PC has one inlined frame, over
// distinct functions and files (worst case for the string, function and location tables).
// Prints the median and worst of R runs (scripts/bench-pprof.sh).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "userspace/output/pprof.h"

using namespace goretain;

namespace {

Report MakeReport(int sites) {
  Report r;
  r.elapsed_s = 60;
  r.targets.push_back(ReportTarget{1, "/srv/app", "go1.22.1", "0123456789abcdef", 0x401000,
                                   0x2000000, 0x1000});
  for (int i = 0; i < sites; i++) {
    CallsiteRow c;
    c.kind = static_cast<Kind>(i % 3);
    c.site = {"pkg" + std::to_string(i % 500) + ".Func" + std::to_string(i),
              "/src/pkg" + std::to_string(i % 500) + "/file.go", 10 + i % 400};
    c.type = "map[string]pkg" + std::to_string(i % 100) + ".T";
    c.heap_objects = c.alloc_objects = 1000 + i;
    c.alloc_bytes = 48 * (1000 + i);
    c.retained_objects = i;
    c.retained_bytes = 48 * i;
    c.leaking = i % 50 == 0;
    c.exe = "/srv/app";
    c.pcs.push_back(StackPc{0x401000 + 64 * uint64_t(i), {c.site, {"pkg.caller", "/src/c.go", 7}}});
    for (int d = 1; d < 8; d++) {  // callers shared by many rows, as in real programs
      const int f = (i / (d * 7)) % 2000;
      c.pcs.push_back(StackPc{0x800000 + 32 * uint64_t(f * 8 + d),
                              {{"caller.F" + std::to_string(f), "/src/caller.go", d}}});
    }
    r.callsites.push_back(std::move(c));
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int sites = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 21;
  const std::string path = argc > 3 ? argv[3] : "/tmp/goretain-pprof-bench.pb.gz";
  const Report r = MakeReport(sites);
  std::vector<double> ms;
  size_t bytes = 0;
  for (int i = 0; i < runs; i++) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string gz = RenderPprof(r);
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f || std::fwrite(gz.data(), 1, gz.size(), f) != gz.size() || std::fclose(f) != 0) {
      std::fprintf(stderr, "pprof_bench: cannot write %s\n", path.c_str());
      return 1;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    bytes = gz.size();
  }
  std::sort(ms.begin(), ms.end());
  std::printf("pprof: %d call sites, %zu bytes gzip: median %.1f ms, worst %.1f ms (%d runs)\n", sites,
              bytes, ms[ms.size() / 2], ms.back(), runs);
  return 0;
}
