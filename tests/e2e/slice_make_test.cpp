// slice.make: make([]T, n[, m]) (runtime.makeslice) and make-then-copy (runtime.makeslicecopy)
// against the target's own exact heap profile (tests/targets/slicemake): per marked line the same
// heap objects and bytes (every size path: small, size classes, a large object, pointerful and
// pointer-free, len < cap), no row for a make the compiler keeps on the stack, and for the seeds'
// payload pattern (a make([]byte, 1024) kept in every map of a []map[string]interface{}) retained
// bytes within 1% of the runtime's inuse_bytes, flagged as a leak.
#include "harness.h"
#include "retention_scenarios.h"

namespace e2e {
namespace {

struct Totals {
  int64_t objects = 0;
  int64_t bytes = 0;
};

// What the runtime's profile gives a marker's line (all records there).
Totals RuntimeTotals(const json& profile, const Marker& m) {
  Totals t;
  for (const auto& s : profile) {
    if (s["line"] != m.line || s["function"] != m.function) continue;
    t.objects += s["alloc_objects"].get<int64_t>();
    t.bytes += s["alloc_bytes"].get<int64_t>();
  }
  return t;
}

// What goretain's report gives the line (all kinds), in heap objects.
Totals OurTotals(const json& report, const Marker& m) {
  Totals t;
  for (const auto& c : report["callsites"]) {
    if (c["line"] != m.line || c["function"] != m.function) continue;
    t.objects += c["heap_objects"].get<int64_t>();
    t.bytes += c["alloc_bytes"].get<int64_t>();
  }
  return t;
}

// Types as the user wrote them.
void ExpectTypesAsWritten(const json& report) {
  const struct {
    const char* label;
    const char* type;
  } types[] = {{"ints", "[]int64"},        {"ptrs-cap", "[]*main.entry"}, {"small", "[]uint8"},
               {"structs", "[]main.entry"}, {"large", "[]uint8"},          {"copy", "[]*main.entry"}};
  for (const auto& t : types) {
    const json* row =
        FindCallsite(report, "slice.make", "main.churn", WantLine("slicemake", "slice.make", t.label));
    ASSERT_NE(row, nullptr) << t.label;
    EXPECT_EQ((*row)["type"], t.type) << t.label;
  }
}

class SliceMake : public E2ETest, public ::testing::WithParamInterface<std::string> {};

TEST_P(SliceMake, ExactBytesAndThePayloadsRetainedBytes) {
  const std::string variant = GetParam();
  const fs::path profile = tmp_ / "profile.json";
  // 18 s of operations (the leak signal wants a sustained rise), then the program stops
  // allocating and writes its own profile; the last reports judge that same heap.
  const auto reports = TraceScenario(
      tmp_, variant == "default" ? "slicemake" : "slicemake-" + variant,
      {"-profile", profile.string(), "-profile-after", "18s", "-freeze"}, 21);
  ASSERT_GE(reports.size(), 5u);
  const json& last = reports.back();
  EXPECT_EQ(last["events"]["dropped"], 0);
  ASSERT_GE(last["liveness"]["checks"].get<int>(), 4) << "too few GC cycles to judge";
  const json truth = json::parse(ReadFile(profile));

  const std::vector<Marker> markers = Markers("slicemake", "");
  ASSERT_GE(markers.size(), 9u);
  int compared = 0;
  for (const Marker& m : markers) {
    if (m.kind == "profile") continue;
    Totals runtime = RuntimeTotals(truth, m);
    const Totals ours = OurTotals(last, m);
    // A direct mallocgc call from compiled code (make + copy of pointer-free elements): the
    // runtime's own profile (go1.19, 1.22, 1.24; optimized builds) files it one frame up, at the
    // caller's line; go1.26's files it at the make, as goretain does.
    for (const Marker& p : markers) {
      if (p.kind == "profile" && p.label == m.label && runtime.objects == 0) {
        runtime = RuntimeTotals(truth, p);
      }
    }
    const std::string where = m.kind + " " + m.label + " line " + std::to_string(m.line);
    if (m.label == "stack") {  // no heap object, so no row
      EXPECT_EQ(runtime.objects, 0) << where;
      EXPECT_EQ(FindCallsite(last, "slice.make", m.function, m.line), nullptr) << where;
      continue;
    }
    ASSERT_GT(runtime.objects, 0) << where << ": the comparison would be vacuous";
    EXPECT_EQ(ours.objects, runtime.objects) << where;
    EXPECT_EQ(ours.bytes, runtime.bytes) << where << "\n" << DescribeCallsites(last, 30);
    if (m.kind != "slice.make") continue;
    compared++;
    // One make is one object: the row counts calls and heap objects alike.
    const json* row = FindCallsite(last, "slice.make", m.function, m.line);
    ASSERT_NE(row, nullptr) << where << "\n" << DescribeCallsites(last, 30);
    EXPECT_EQ((*row)["alloc_objects"], runtime.objects) << where;
    EXPECT_EQ((*row)["file"], TargetSource("slicemake").string()) << where;
  }
  EXPECT_EQ(compared, 8);

  ExpectTypesAsWritten(last);

  // The payload: retained bytes as the runtime's inuse_bytes, the most any line holds, a leak.
  const Marker payload = [&] {
    for (const Marker& m : markers) {
      if (m.label == "leak-payload") return m;
    }
    throw std::runtime_error("no leak-payload marker");
  }();
  const json* row = FindCallsite(last, "slice.make", payload.function, payload.line);
  ASSERT_NE(row, nullptr) << DescribeCallsites(last, 30);
  EXPECT_EQ((*row)["type"], "[]uint8");
  ASSERT_FALSE((*row)["retained_bytes"].is_null()) << row->dump();
  const int64_t inuse = InuseBytes(truth, payload);
  const int64_t retained = (*row)["retained_bytes"].get<int64_t>();
  EXPECT_GT(inuse, 4 << 20) << "the payloads should hold megabytes by then";
  EXPECT_NEAR(static_cast<double>(retained), static_cast<double>(inuse), 0.01 * inuse)
      << "payload line " << payload.line;
  for (const auto& c : last["callsites"]) {
    if (&c == row || c["retained_bytes"].is_null()) continue;
    EXPECT_LT(c["retained_bytes"].get<int64_t>(), retained) << c.dump();
  }
  bool flagged = false;
  std::string history;
  for (const json& r : reports) {
    const json* at = FindCallsite(r, "slice.make", payload.function, payload.line);
    if (!at) continue;
    flagged = flagged || (*at)["leaking"].get<bool>();
    history += r["elapsed_s"].dump() + " s: " + (*at)["retained_bytes"].dump() + "\n";
  }
  EXPECT_TRUE(flagged) << "the payload line was never flagged as leaking:\n" << history;
}

INSTANTIATE_TEST_SUITE_P(Variants, SliceMake, ::testing::Values("default", "pie", "noopt"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace e2e
