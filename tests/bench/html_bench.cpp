// html_bench: how long RenderHtml (`--format html`, and the HTTP endpoint's `/`) takes for a
// report of N call sites (default 10,000), each with a D-frame stack (default 16, what -f html
// asks for) of callers shared by many rows, as in real programs; 1 in 50 rows leaking, with a
// full 64-point retained history. Prints the page's size and the median and worst of R runs
// (scripts/bench-html.sh).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "userspace/output/html.h"

using namespace goretain;

namespace {

Report MakeReport(int sites, int depth) {
  Report r;
  r.elapsed_s = 600;
  r.targets.push_back(ReportTarget{1, "/srv/app", "go1.22.1", "", 0, 0, 0});
  r.gc_cycles = r.liveness_checks = 300;
  for (int i = 0; i < sites; i++) {
    CallsiteRow c;
    c.kind = static_cast<Kind>(i % 3);
    c.site = {"example.com/svc/pkg" + std::to_string(i % 500) + ".Func" + std::to_string(i),
              "/src/pkg" + std::to_string(i % 500) + "/file.go", 10 + i % 400};
    c.type = "map[string]pkg" + std::to_string(i % 100) + ".T";
    c.heap_objects = c.alloc_objects = 1000 + i;
    c.alloc_bytes = 48 * (1000 + i);
    c.retained_objects = i;
    c.retained_bytes = 48 * i;
    c.retained_growth_bytes_per_s = i % 7 - 3;
    for (int d = 1; d <= depth; d++) {
      const int f = (i / (d * 7)) % 2000;
      c.stack.push_back({"example.com/svc/caller.F" + std::to_string(f), "/src/caller.go", d});
    }
    if (i % 50 == 0) {
      c.leaking = true;
      c.leak = LeakFinding{1e6, 120, 8000};
      for (int k = 0; k < 64; k++) c.retained_history.push_back({k * 9.0, 48u * i * k / 64});
    }
    r.callsites.push_back(std::move(c));
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int sites = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int depth = argc > 2 ? std::atoi(argv[2]) : 16;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 21;
  const Report r = MakeReport(sites, depth);
  std::vector<double> ms;
  size_t bytes = 0;
  for (int i = 0; i < runs; i++) {
    const auto t0 = std::chrono::steady_clock::now();
    bytes = RenderHtml(r).size();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("html: %d call sites, %d-frame stacks, %zu bytes: median %.1f ms, worst %.1f ms (%d runs)\n",
              sites, depth, bytes, ms[ms.size() / 2], ms.back(), runs);
  return 0;
}
