// Swiss maps in a real program: esbuild 0.27.0 (built with go1.25) bundling a generated JS
// project while it writes its own heap profile (--heap=FILE). goretain's largest map and slice
// call sites must be esbuild's own functions with file:line, and their bytes must agree with the
// profile within its sampling error.
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "harness.h"

namespace e2e {
namespace {

const char* const kEsbuild =
    GORETAIN_NPM_DIR "/esbuild-0.27.0/node_modules/@esbuild/linux-x64/bin/esbuild";

// scripts/gen-js-project.sh: modules that import each other, with enough parsing, scoping and
// printing work for esbuild's maps and slices (the overhead benchmark bundles the same project).
void WriteProject(const fs::path& dir, int n) {
  Process gen = RunToEnd({"/bin/bash", GORETAIN_SOURCE_DIR "/scripts/gen-js-project.sh",
                          dir.string(), std::to_string(n)},
                         60s);
  ASSERT_EQ(gen.exit_code(), 0) << gen.Describe();
}

// (function, line) of the innermost frame -> alloc_space, from `go tool pprof -raw`.
using SiteBytes = std::map<std::pair<std::string, int>, double>;

SiteBytes ReadHeapProfile(const fs::path& profile, const fs::path& gocache) {
  Process p = RunToEnd({"/usr/bin/env", "GOCACHE=" + gocache.string(), "/usr/bin/go", "tool",
                        "pprof", "-raw", profile.string()},
                       60s);
  EXPECT_EQ(p.exit_code(), 0) << p.Describe();
  std::istringstream in(p.Stdout());
  std::string line;
  enum { kHeader, kSamples, kLocations, kDone } state = kHeader;
  std::vector<std::pair<double, int>> samples;  // alloc_space, innermost location id
  std::map<int, std::pair<std::string, int>> locations;
  while (std::getline(in, line)) {
    if (line.rfind("Samples:", 0) == 0) { state = kSamples; continue; }
    if (line.rfind("Locations", 0) == 0) { state = kLocations; continue; }
    if (line.rfind("Mappings", 0) == 0) { state = kDone; continue; }
    if (state == kSamples) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos || line.find("bytes:[") != std::string::npos) continue;
      std::istringstream nums(line.substr(0, colon)), locs(line.substr(colon + 1));
      double objects, space;
      int loc;
      if (nums >> objects >> space && locs >> loc) samples.emplace_back(space, loc);
    } else if (state == kLocations) {
      // "     4: 0x8634c9 M=1 pkg.fn path/file.go:313 s=312" (continuation lines are callers)
      std::istringstream fields(line);
      std::string id, addr, mapping, fn, fileline;
      if (!(fields >> id >> addr >> mapping >> fn >> fileline) || id.back() != ':') continue;
      const size_t c = fileline.rfind(':');
      locations[std::stoi(id)] = {fn, std::stoi(fileline.substr(c + 1))};
    }
  }
  SiteBytes sites;
  for (const auto& [space, loc] : samples) sites[locations[loc]] += space;
  return sites;
}

class Esbuild : public E2ETest {};

TEST_F(Esbuild, SwissMapsAndSlicesAgreeWithItsOwnHeapProfile) {
  ASSERT_EQ(access(kEsbuild, X_OK), 0)
      << kEsbuild << " is missing: scripts/install-npm-binaries.sh installs it";
  const fs::path project = tmp_ / "project", heap = tmp_ / "esbuild.heap",
                 report_path = tmp_ / "report.json";
  ASSERT_NO_FATAL_FAILURE(WriteProject(project, 3000));

  // Allocation figures only (RetainedReadsEveryAddress... below runs the default, retention).
  Process gr = Goretain({"--no-retained", "--format", "json", "--output", report_path.string(),
                         "--", kEsbuild, "--bundle", (project / "index.js").string(),
                         "--outfile=" + (tmp_ / "out.js").string(), "--heap=" + heap.string(),
                         "--log-level=warning"});
  ASSERT_EQ(gr.Wait(120s), 0) << gr.Describe();
  json report;
  ASSERT_TRUE(OneReport(ReadFile(report_path), &report));
  EXPECT_EQ(report["events"]["dropped"], 0);
  ASSERT_EQ(report["targets"][0]["go_version"].get<std::string>().rfind("go1.25", 0), 0u);

  const SiteBytes profile = ReadHeapProfile(heap, tmp_ / "gocache");
  ASSERT_GT(profile.size(), 20u);

  // The profile samples one allocation per 512 KiB on average: a site's estimate has a standard
  // deviation of about sqrt(bytes * 512 KiB). Compare the sites large enough for that to be
  // under 10%, allowing 4 standard deviations.
  constexpr double kRate = 512 * 1024;
  constexpr double kMinBytes = 10 << 20;
  int compared = 0, maps = 0;
  for (const auto& c : report["callsites"]) {
    const double ours = c["alloc_bytes"].get<double>();
    if (ours < kMinBytes) break;  // sorted by bytes: the rest are smaller
    const std::string fn = c["function"];
    // Maps and appends are esbuild's own; a make([]byte, size) may be the standard library's
    // (os.ReadFile reading the project's files).
    if (c["kind"] != "slice.make") {
      EXPECT_EQ(fn.rfind("github.com/evanw/esbuild/", 0), 0u) << "call site outside esbuild: " << fn;
      EXPECT_NE(c["file"].get<std::string>().find("/esbuild/internal/"), std::string::npos);
    }
    EXPECT_GT(c["line"].get<int>(), 0);
    // makemap_small receives no type (see README), every other path does.
    if (c["kind"] != "map.make") {
      EXPECT_FALSE(c["type"].is_null()) << fn;
    }
    auto it = profile.find({fn, c["line"].get<int>()});
    ASSERT_NE(it, profile.end()) << "the profile has no allocation at " << fn << ":" << c["line"];
    const double sigma = std::sqrt(ours * kRate);
    // (The profile elides runtime frames, so a line's figure may include other allocations too;
    // esbuild's largest map/slice lines hold nothing else.)
    EXPECT_NEAR(it->second, ours, 4 * sigma) << fn << ":" << c["line"] << " " << c["kind"];
    if (c["kind"].get<std::string>().rfind("map.", 0) == 0) maps++;
    compared++;
  }
  EXPECT_GE(compared, 3) << DescribeCallsites(report, 15);
  EXPECT_GE(maps, 1) << "no Swiss-map call site among the largest\n" << DescribeCallsites(report, 15);
}

// Retention (the default) on a real Swiss-map binary: every makemap_small caller of esbuild gets a
// completion probe (hundreds, one uprobe_multi link), and every allocation's address arrives.
// (esbuild turns its garbage collector off while bundling, so there is no cycle to judge
// retention by here.)
TEST_F(Esbuild, RetainedReadsEveryAddressWithItsManyMakemapSmallCallers) {
  ASSERT_EQ(access(kEsbuild, X_OK), 0)
      << kEsbuild << " is missing: scripts/install-npm-binaries.sh installs it";
  const fs::path project = tmp_ / "project", report_path = tmp_ / "report.json";
  ASSERT_NO_FATAL_FAILURE(WriteProject(project, 2000));
  Process gr = Goretain({"-v", "--retained", "--format", "json", "--output", report_path.string(),
                         "--", kEsbuild, "--bundle", (project / "index.js").string(),
                         "--outfile=" + (tmp_ / "out.js").string(), "--log-level=warning"});
  ASSERT_EQ(gr.Wait(120s), 0) << gr.Describe();
  json report;
  ASSERT_TRUE(OneReport(ReadFile(report_path), &report));
  EXPECT_EQ(report["events"]["dropped"], 0);
  EXPECT_GT(report["events"]["received"].get<int64_t>(), 500000);
  const std::string log = gr.Stderr();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(probe plan for go1\.25\S* \(Swiss maps, (\d+) probes)")))
      << gr.Describe();
  EXPECT_GE(std::stoi(m[1]), 300);
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(with address (\d+), address missed (\d+))")))
      << gr.Describe();
  EXPECT_GT(std::stoll(m[1]), 500000);
  EXPECT_EQ(m[2], "0") << "allocations whose address never came";
}

}  // namespace
}  // namespace e2e
