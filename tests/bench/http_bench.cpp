// http_bench: what --listen costs per published report of N call sites (default 10,000, each
// with an 8-PC stack over distinct functions, files and types: the worst case for label sets and
// pprof's tables). Times, as median and worst of R runs:
//   metrics top=50   MetricsText::Render with the default --metrics-top (ranking all N rows)
//   metrics top=0    every call site its own series (--metrics-top 0)
//   pprof heap       RenderPprof (protobuf + gzip, in memory), what /debug/pprof/heap sends
//   GET /metrics, GET /debug/pprof/heap
//                    through the real endpoint on loopback, a fresh report each time (publishing
//                    it: a copy of the 10,000 rows, ~15 ms CPU of the figure; then render and
//                    transfer), then the same report again (served from the render cache)
// The bound is 100 ms for /metrics and for the profile (scripts/bench-http.sh).
#include <httplib.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "userspace/http/metrics_text.h"
#include "userspace/http/server.h"
#include "userspace/output/pprof.h"

using namespace goretain;

namespace {

Report MakeReport(int sites) {
  Report r;
  r.elapsed_s = 60;
  r.gc_cycles = 40;
  r.events_received = 1000000;
  r.targets.push_back(ReportTarget{4242, "/srv/app", "go1.22.1", "0123456789abcdef", 0x401000,
                                   0x2000000, 0x1000});
  for (int i = 0; i < sites; i++) {
    CallsiteRow c;
    c.kind = static_cast<Kind>(i % 4);
    c.site = {"pkg" + std::to_string(i % 500) + ".Handler" + std::to_string(i),
              "/src/pkg" + std::to_string(i % 500) + "/handler.go", 10 + i % 400};
    c.type = "map[string]pkg" + std::to_string(i % 100) + ".Value";
    c.heap_objects = c.alloc_objects = 2000 + i;
    c.alloc_bytes = 64 * c.heap_objects;
    c.retained_objects = i;
    c.retained_bytes = 64 * i;
    c.leaking = i % 100 == 0;
    c.exe = "/srv/app";
    c.pcs.push_back(StackPc{0x401000 + 64 * uint64_t(i), {c.site}});
    for (int d = 1; d < 8; d++) {
      const int f = (i / (d * 5)) % 3000;
      c.pcs.push_back(StackPc{0x900000 + 32 * uint64_t(f * 8 + d),
                              {{"app.caller" + std::to_string(f), "/src/app/caller.go", d}}});
    }
    r.callsites.push_back(std::move(c));
  }
  return r;
}

double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Runs `step` `runs` times; prints the median and worst wall time in ms, the median CPU time of
// the whole process (the server's threads included; on a loaded machine, the steadier figure),
// and `bytes` of the last result.
void Time(const char* what, int runs, const std::function<size_t()>& step) {
  std::vector<double> ms, cpu;
  size_t bytes = 0;
  for (int i = 0; i < runs; i++) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = CpuMs();
    bytes = step();
    cpu.push_back(CpuMs() - c0);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("%-36s wall median %6.1f ms, worst %6.1f ms; cpu median %6.1f ms  (%zu bytes)\n",
              what, ms[ms.size() / 2], ms.back(), cpu[cpu.size() / 2], bytes);
}

size_t Get(httplib::Client& client, const char* path) {
  auto res = client.Get(path);
  if (!res || res->status != 200) {
    std::fprintf(stderr, "http_bench: GET %s failed\n", path);
    std::exit(1);
  }
  return res->body.size();
}

}  // namespace

int main(int argc, char** argv) {
  const int sites = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 21;
  const Report report = MakeReport(sites);
  std::printf("http_bench: %d call sites, %d runs each\n", sites, runs);

  MetricsText top50(MetricsOptions{50, "bench"});
  MetricsText all(MetricsOptions{0, "bench"});
  Time("metrics top=50 (render)", runs, [&] { return top50.Render(report).size(); });
  Time("metrics top=0 (render)", runs, [&] { return all.Render(report).size(); });
  Time("pprof heap (encode + gzip)", runs, [&] { return RenderPprof(report).size(); });

  LiveReport live;
  auto endpoint = HttpEndpoint::Start(ListenAddress{"127.0.0.1", 0}, live, EndpointOptions{50, "bench"});
  if (!endpoint) {
    std::fprintf(stderr, "http_bench: %s\n", endpoint.error().message.c_str());
    return 1;
  }
  httplib::Client client((*endpoint)->url());
  auto publish = [&] { live.Publish(std::make_shared<const Report>(report)); };
  publish();
  Time("GET /metrics, new report", runs, [&] { publish(); return Get(client, "/metrics"); });
  Time("GET /metrics, same report", runs, [&] { return Get(client, "/metrics"); });
  Time("GET /debug/pprof/heap, new report", runs, [&] {
    publish();
    return Get(client, "/debug/pprof/heap");
  });
  Time("GET /debug/pprof/heap, same report", runs, [&] { return Get(client, "/debug/pprof/heap"); });
  return 0;
}
