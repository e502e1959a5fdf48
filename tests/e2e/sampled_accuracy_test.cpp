// --sample against the runtime's own heap profile (tests/targets/sampled: default
// MemProfileRate, 512 KiB): goretain's probes see the very samples the runtime records, so per
// source line the raw sample counts agree exactly, for alloc and for inuse "as of the last GC"
// (the target runs a GC, writes runtime/pprof's heap profile with debug=1 - its raw counts per
// stack - and exits; goretain, which launched it, reports at its exit). On Debian's go1.19 and
// the releases where the sampler's layout changed (go1.21, 1.24, 1.27).
#include <map>
#include <regex>
#include <sstream>

#include "go_versions.h"
#include "markers.h"

namespace e2e {
namespace {

struct Counts {
  int64_t alloc = 0;
  int64_t inuse = 0;
  bool operator==(const Counts&) const = default;
};

// runtime/pprof's legacy heap text (debug=1): records "inuse_n: inuse_b [alloc_n: alloc_b] @
// pcs", each followed by "#\t0xPC\tfunction+0xOFF\tFILE:LINE" frames, leaf first and with the
// runtime's own frames left out. Counts per leaf line of `file`.
std::map<int, Counts> ProfileCountsPerLine(const std::string& text, const std::string& file) {
  std::map<int, Counts> out;
  const std::regex record(R"(^(\d+): \d+ \[(\d+): \d+\] @)");
  const std::regex frame("^#\\t0x[0-9a-f]+\\t\\S+\\t(.+):(\\d+)$");
  std::istringstream in(text);
  std::string line;
  Counts pending;  // of the record whose leaf frame comes next, if `in_record`
  bool in_record = false;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, record)) {
      pending = Counts{std::stoll(m[2]), std::stoll(m[1])};
      in_record = true;
    } else if (in_record && std::regex_match(line, m, frame)) {
      if (m[1] == file) {
        out[std::stoi(m[2])].alloc += pending.alloc;
        out[std::stoi(m[2])].inuse += pending.inuse;
      }
      in_record = false;
    } else {
      in_record = false;
    }
  }
  return out;
}

class SampledAccuracy : public E2ETest, public ::testing::WithParamInterface<std::string> {};

TEST_P(SampledAccuracy, SampleCountsEqualTheRuntimesOwnHeapProfile) {
  const std::string exe = ReleaseTarget("sampled", GetParam());
  ASSERT_TRUE(Built(exe));
  const fs::path out = tmp_ / "report.json", profile = tmp_ / "heap.txt";
  Process gr = Goretain({"--sample", "--kinds", "all", "--format", "json", "--output",
                         out.string(), "--", exe, "-profile", profile.string(), "-scale", "2"});
  ASSERT_EQ(gr.Wait(90s), 0) << gr.Describe();
  json report;
  ASSERT_TRUE(OneReport(ReadFile(out), &report));
  EXPECT_TRUE(TracedRelease(report, GetParam()));
  EXPECT_EQ(report["mode"], "sampled");
  EXPECT_EQ(report["events"]["dropped"], 0);
  ASSERT_GE(report["gc_cycles"].get<int>(), 1);

  const std::string source = TargetSource("sampled").string();
  std::map<int, Counts> ours;
  for (const auto& c : report["callsites"]) {
    if (c["file"] != source) continue;
    ASSERT_TRUE(c.contains("samples")) << c.dump();
    ours[c["line"].get<int>()].alloc += c["samples"]["alloc_objects"].get<int64_t>();
    ours[c["line"].get<int>()].inuse += c["samples"]["inuse_objects"].get<int64_t>();
  }
  const std::map<int, Counts> runtime = ProfileCountsPerLine(ReadFile(profile), source);
  ASSERT_FALSE(runtime.empty()) << ReadFile(profile).substr(0, 2000);
  for (const auto& [line, want] : runtime) {
    const Counts got = ours.count(line) ? ours.at(line) : Counts{};
    EXPECT_EQ(got.alloc, want.alloc) << "alloc samples at line " << line;
    EXPECT_EQ(got.inuse, want.inuse) << "inuse samples at line " << line;
  }
  for (const auto& [line, got] : ours) {
    EXPECT_TRUE(runtime.count(line)) << "line " << line << " has " << got.alloc
                                     << " samples the runtime does not have";
  }
  // Every marked line was sampled, under its kind, and its estimate is the unsampled count.
  for (const Marker& m : AllMarkers("sampled")) {
    const json* site = FindCallsite(report, m.kind, m.function, m.line);
    ASSERT_NE(site, nullptr) << m.kind << " " << m.label << " line " << m.line << "\n"
                             << DescribeCallsites(report, 30);
    const int64_t samples = (*site)["samples"]["alloc_objects"].get<int64_t>();
    EXPECT_GT(samples, 0) << m.label;
    EXPECT_GE((*site)["alloc_objects"].get<int64_t>(), samples) << m.label;
    EXPECT_FALSE((*site)["retained_bytes"].is_null()) << m.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Debian, SampledAccuracy, ::testing::Values("1.19", "1.21", "1.24", "1.27"),
                         ReleaseTestName);

}  // namespace
}  // namespace e2e
