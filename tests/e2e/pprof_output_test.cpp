// --format pprof, read back by Debian's `go tool pprof` (Go 1.19's pprof, as a Go user would):
// one run writes a JSON report and a profile of the same figures (-f json -o J -f pprof -o P),
// and every call site of the JSON is found in the profile with the same numbers, at a real PC
// of the executable, with its kind/type/leak labels, the executable's mapping and build ID.
#include <map>
#include <regex>
#include <sstream>

#include "harness.h"

namespace e2e {
namespace {

// `go tool pprof ARGS...` run to completion (HOME set: a clean CI environment has none).
std::string Pprof(const fs::path& home, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/env", "HOME=" + home.string(), "/usr/bin/go", "tool",
                                   "pprof"};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p = RunToEnd(argv, 60s);
  EXPECT_EQ(p.exit_code(), 0) << p.Describe();
  return p.Stdout();
}

struct RawSample {
  std::vector<int64_t> values;  // alloc_objects, alloc_space, inuse_objects, inuse_space
  std::vector<int> locations;   // leaf first
  std::string kind, type;       // type "" if no label
  bool leak = false;
};
struct RawLocation {
  uint64_t address = 0;
  int mapping = 0;
  std::vector<std::string> lines;  // "function file:line", innermost first
};
struct RawProfile {
  std::vector<RawSample> samples;
  std::map<int, RawLocation> locations;
  std::vector<std::string> mappings;  // as printed
};

// The label value after "key:[" up to the last "]" of the line (type names hold brackets).
std::string LabelValue(const std::string& line, const std::string& key, bool to_end) {
  const size_t at = line.find(key + ":[");
  if (at == std::string::npos) return "";
  const size_t start = at + key.size() + 2;
  const size_t end = to_end ? line.rfind(']') : line.find(']', start);
  return line.substr(start, end - start);
}

// Parses `go tool pprof -raw`: Samples (values: location ids, then a label line), Locations
// ("N: 0xADDR M=K function file:line s=0", inlined callers on the following lines), Mappings.
RawProfile ParseRaw(const std::string& text) {
  static const std::regex sample(R"(^\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+):\s*([\d ]*)$)");
  static const std::regex location(R"(^\s*(\d+): 0x([0-9a-f]+) M=(\d+) (.*) s=\d+$)");
  static const std::regex inlined(R"(^\s+(\S.*) s=\d+$)");
  RawProfile p;
  std::istringstream in(text);
  std::string line, section;
  int last_location = -1;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line == "Samples:" || line == "Locations" || line == "Mappings") {
      section = line;
      continue;
    }
    if (section == "Samples:" && std::regex_match(line, m, sample)) {
      RawSample s;
      for (int i = 1; i <= 4; i++) s.values.push_back(std::stoll(m[i]));
      std::istringstream ids(m[5]);
      for (int id; ids >> id;) s.locations.push_back(id);
      p.samples.push_back(s);
    } else if (section == "Samples:" && !p.samples.empty() &&
               line.find("kind:[") != std::string::npos) {
      p.samples.back().kind = LabelValue(line, "kind", false);
      p.samples.back().type = LabelValue(line, "type", true);
      p.samples.back().leak = LabelValue(line, "leak", false) == "true";
    } else if (section == "Locations" && std::regex_match(line, m, location)) {
      last_location = std::stoi(m[1]);
      p.locations[last_location] =
          RawLocation{std::stoull(m[2], nullptr, 16), std::stoi(m[3]), {m[4]}};
    } else if (section == "Locations" && last_location > 0 && std::regex_match(line, m, inlined)) {
      p.locations[last_location].lines.push_back(m[1]);
    } else if (section == "Mappings" && !line.empty()) {
      p.mappings.push_back(line);
    }
  }
  return p;
}

std::string Where(const json& c) {
  return c["function"].get<std::string>() + " " + c["file"].get<std::string>() + ":" +
         std::to_string(c["line"].get<int>());
}

// Every call site of `report` is exactly one sample of `profile` with the same figures and
// labels (leaf Line = the call site); and the profile has no other sample.
void ExpectSameFigures(const json& report, const RawProfile& profile) {
  ASSERT_EQ(profile.samples.size(), report["callsites"].size()) << DescribeCallsites(report, 40);
  for (const json& c : report["callsites"]) {
    const std::string type = c["type"].is_null() ? "" : c["type"].get<std::string>();
    std::vector<const RawSample*> found;
    for (const RawSample& s : profile.samples) {
      const auto loc = profile.locations.find(s.locations.empty() ? -1 : s.locations[0]);
      if (loc == profile.locations.end() || loc->second.lines.empty()) continue;
      if (s.kind == c["kind"] && s.type == type && loc->second.lines[0] == Where(c)) {
        found.push_back(&s);
      }
    }
    ASSERT_EQ(found.size(), 1u) << c.dump();
    const RawSample& s = *found[0];
    EXPECT_EQ(s.values[0], c["heap_objects"].get<int64_t>()) << c.dump();
    EXPECT_EQ(s.values[1], c["alloc_bytes"].get<int64_t>()) << c.dump();
    // inuse = retained after the last checked GC, 0 where the JSON has none.
    EXPECT_EQ(s.values[2], c["retained_objects"].is_null() ? 0 : c["retained_objects"].get<int64_t>())
        << c.dump();
    EXPECT_EQ(s.values[3], c["retained_bytes"].is_null() ? 0 : c["retained_bytes"].get<int64_t>())
        << c.dump();
    EXPECT_EQ(s.leak, c["leaking"].get<bool>()) << c.dump();
  }
}

// `goretain symbols EXE --pc ADDR`: the function Go's symbol table has at ADDR.
std::string FunctionAt(const std::string& exe, uint64_t address) {
  std::ostringstream pc;
  pc << "0x" << std::hex << address;
  Process p = RunToEnd({GoretainBin(), "symbols", exe, "--pc", pc.str()});
  const std::string out = p.Stdout();
  const size_t at = out.find(pc.str() + ": ");
  if (at == std::string::npos) return "<" + out + ">";
  const size_t start = at + pc.str().size() + 2;
  return out.substr(start, out.find_first_of(" \n", start) - start);
}

class PprofOutput : public E2ETest {};

class PprofVariants : public PprofOutput, public ::testing::WithParamInterface<std::string> {};

// growth (maps that grow, a slice appended to): one exact run, both outputs. PIE too: PCs and
// the mapping stay in the file's own (ELF vaddr) addresses whatever the load address.
TEST_P(PprofVariants, GoToolPprofReadsTheJsonReportsFigures) {
  const std::string exe = Target("growth", GetParam());
  const fs::path json_path = tmp_ / "report.json", profile = tmp_ / "growth.pb.gz";
  Process gr = Goretain({"-f", "json", "-o", json_path.string(), "-f", "pprof", "-o",
                         profile.string(), "--", exe});
  ASSERT_EQ(gr.Wait(), 0) << gr.Describe();
  json report;
  ASSERT_TRUE(OneReport(ReadFile(json_path), &report)) << gr.Describe();
  ASSERT_GE(report["callsites"].size(), 4u);

  const std::string raw = Pprof(tmp_.path(), {"-raw", profile.string()});
  const RawProfile p = ParseRaw(raw);
  EXPECT_NE(raw.find("PeriodType: space bytes"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Period: 1\n"), std::string::npos) << raw;
  // Retention is on (the default). Once a GC cycle was checked, some row has retained figures
  // and, as in Go's heap profile, no default sample type is set (tools show the last one,
  // inuse_space); a trace that saw no GC has none, and alloc_space is the default.
  bool any_retained = false;
  for (const json& c : report["callsites"]) any_retained |= !c["retained_bytes"].is_null();
  EXPECT_NE(raw.find(any_retained ? "alloc_objects/count alloc_space/bytes inuse_objects/count "
                                    "inuse_space/bytes\n"
                                  : "alloc_objects/count alloc_space/bytes[dflt] "
                                    "inuse_objects/count inuse_space/bytes\n"),
            std::string::npos)
      << raw;
  ExpectSameFigures(report, p);

  // One mapping: the executable, its Go build ID, every has_* flag.
  const std::string build_id = RunToEnd({"/usr/bin/go", "tool", "buildid", exe}).Stdout();
  ASSERT_EQ(p.mappings.size(), 1u) << raw;
  EXPECT_NE(p.mappings[0].find(exe + " " + build_id.substr(0, build_id.find('\n')) +
                               " [FN][FL][LN][IN]"), std::string::npos) << p.mappings[0];
  // Real PCs, inside the mapping's range: the function at each call site's address is the
  // Location's outermost Line's.
  std::smatch range;
  ASSERT_TRUE(std::regex_search(p.mappings[0], range, std::regex("^1: 0x([0-9a-f]+)/0x([0-9a-f]+)/")))
      << p.mappings[0];
  const uint64_t start = std::stoull(range[1], nullptr, 16), limit = std::stoull(range[2], nullptr, 16);
  int inlined = 0;
  for (const RawSample& s : p.samples) {
    const RawLocation& loc = p.locations.at(s.locations[0]);
    EXPECT_EQ(loc.mapping, 1);
    EXPECT_TRUE(loc.address >= start && loc.address < limit) << loc.address << " " << p.mappings[0];
    const std::string outer = loc.lines.back().substr(0, loc.lines.back().find(' '));
    EXPECT_EQ(FunctionAt(exe, loc.address), outer) << loc.lines[0];
  }
  for (const auto& [id, loc] : p.locations) inlined += loc.lines.size() > 1;
  EXPECT_GE(inlined, 1) << "no Location with inlined frames\n" << raw;

  // -tagfocus=kind=map.grow keeps exactly the map.grow rows' bytes.
  int64_t grow_bytes = 0;
  for (const json& c : report["callsites"]) {
    if (c["kind"] == "map.grow") grow_bytes += c["alloc_bytes"].get<int64_t>();
  }
  ASSERT_GT(grow_bytes, 0);
  const std::string top = Pprof(tmp_.path(), {"-top", "-sample_index=alloc_space", "-unit=byte",
                                              "-nodefraction=0", "-tagfocus=kind=map.grow",
                                              profile.string()});
  EXPECT_NE(top.find("Showing nodes accounting for " + std::to_string(grow_bytes) + "B"),
            std::string::npos) << top;
  EXPECT_NE(top.find("main.addNinth"), std::string::npos) << top;
  EXPECT_EQ(top.find("main.growSlice"), std::string::npos) << top;
}

INSTANTIATE_TEST_SUITE_P(Growth, PprofVariants, ::testing::Values("default", "pie"),
                         [](const auto& info) { return info.param; });

// A leak traced with --retained --interval 1: profile N holds the figures of JSON report N (inuse
// = retained), and -diff_base shows what the leaking function grew by from the first to the last.
TEST_F(PprofOutput, OneProfilePerIntervalAndDiffBaseShowsGrowth) {
  const std::string exe = Target("leak1_maplist");
  const fs::path json_path = tmp_ / "reports.json", dir = tmp_ / "profiles";
  fs::create_directory(dir);
  Process gr = Goretain({"--retained", "--interval", "1", "-f", "json", "-o", json_path.string(),
                         "-f", "pprof", "-o", dir.string() + "/", "--", exe, "-duration", "6s", "-rate",
                         "10000"});  // 4 MB/s: a GC cycle about every second or two
  ASSERT_EQ(gr.Wait(60s), 0) << gr.Describe();
  const std::vector<json> reports = ParseReports(ReadFile(json_path));
  ASSERT_GE(reports.size(), 4u);
  for (size_t i = 0; i < reports.size(); i++) {
    SCOPED_TRACE("report " + std::to_string(i + 1));
    const fs::path profile = dir / ("profile." + std::to_string(i + 1) + ".pb.gz");
    ASSERT_TRUE(fs::exists(profile));
    ExpectSameFigures(reports[i], ParseRaw(Pprof(tmp_.path(), {"-raw", profile.string()})));
  }
  EXPECT_FALSE(fs::exists(dir / ("profile." + std::to_string(reports.size() + 1) + ".pb.gz")));

  // The function holding the most at the end (the leak; 6 s is too short to be sure it is
  // flagged): its retained bytes in the first and the last report, summed over its lines.
  const json& last = reports.back();
  std::string leaking;
  int64_t most = 0;
  for (const json& c : last["callsites"]) {
    if (!c["retained_bytes"].is_null() && c["retained_bytes"].get<int64_t>() > most) {
      most = c["retained_bytes"].get<int64_t>();
      leaking = c["function"];
    }
  }
  ASSERT_EQ(leaking, "main.record") << DescribeCallsites(last, 40);
  auto retained = [&](const json& r) {
    int64_t sum = 0;
    for (const json& c : r["callsites"]) {
      if (c["function"] == leaking && !c["retained_bytes"].is_null()) {
        sum += c["retained_bytes"].get<int64_t>();
      }
    }
    return sum;
  };
  const int64_t grew = retained(last) - retained(reports.front());
  ASSERT_GT(grew, 64 * 1024);
  const std::string diff = Pprof(
      tmp_.path(), {"-top", "-sample_index=inuse_space", "-unit=byte", "-nodecount=1000",
                    "-diff_base=" + (dir / "profile.1.pb.gz").string(),
                    (dir / ("profile." + std::to_string(reports.size()) + ".pb.gz")).string()});
  // "  FLAT B  flat%  sum%  CUM B  cum%  main.record": flat = what its lines grew by.
  const std::regex row("\\s+(-?\\d+)B\\s.*\\s" + leaking + "\\s*$");
  std::istringstream lines(diff);
  bool seen = false;
  for (std::string l; std::getline(lines, l);) {
    std::smatch m;
    if (std::regex_match(l, m, row)) {
      EXPECT_EQ(std::stoll(m[1]), grew) << l;
      seen = true;
    }
  }
  EXPECT_TRUE(seen) << leaking << " not in\n" << diff;
}

// Bad output requests exit 2 with one error line, before anything is traced.
TEST_F(PprofOutput, BadOutputRequestsAreOneErrorLine) {
  const std::string exe = Target("counts");
  const std::vector<std::vector<std::string>> bad = {
      {"-f", "pprof", "--", exe},                                 // a binary profile to stdout
      {"-f", "json", "-f", "pprof", "-o", "x.json", "--", exe},   // unpaired -f / -o
      {"-f", "pprof", "-o", (tmp_ / "missing/dir/").string(), "--", exe},
      {"-f", "pprof", "-o", (tmp_ / "missing/p.%d.pb.gz").string(), "--", exe},
  };
  for (const auto& args : bad) {
    Process gr = Goretain(args);
    EXPECT_EQ(gr.Wait(), 2) << gr.Describe();
    EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
    EXPECT_EQ(gr.Stderr().find("probes attached"), std::string::npos) << gr.Describe();
  }
}

}  // namespace
}  // namespace e2e
