// The pprof encoder, decoded back with the classes generated from the project's profile.proto:
// every figure, label, PC, line and mapping field of a known report lands where pprof reads it.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "userspace/output/pprof.h"
#include "userspace/output/profile.pb.h"

namespace goretain {
namespace {

Report SampleReport() {
  Report r;
  r.elapsed_s = 2.5;
  r.unix_time_ns = 1'700'000'000'000'000'000;
  r.targets.push_back(ReportTarget{42, "/bin/app", "go1.22.1", "abcdef", 0x401000, 0x480000, 0x1000});
  CallsiteRow leak;
  leak.kind = Kind::kMapGrow;
  leak.site = {"main.leak", "/src/main.go", 12};
  leak.type = "map[string]int";
  leak.heap_objects = 7;
  leak.alloc_objects = 3;
  leak.alloc_bytes = 9000;
  leak.retained_objects = 5;
  leak.retained_bytes = 6000;
  leak.leaking = true;
  leak.exe = "/bin/app";
  // The site's PC: main.leak inlined into main.loop; then main.main's.
  leak.pcs = {StackPc{0x401233, {{"main.leak", "/src/main.go", 12}, {"main.loop", "/src/main.go", 20}}},
              StackPc{0x401400, {{"main.main", "/src/main.go", 30}}}};
  CallsiteRow unknown;
  unknown.kind = Kind::kSliceGrow;
  unknown.site = {"main.grow", "/src/grow.go", 5};
  unknown.heap_objects = 1;
  unknown.alloc_bytes = 64;
  unknown.exe = "/bin/app";
  unknown.pcs = {StackPc{0x401500, {{"main.grow", "/src/grow.go", 5}}},
                 StackPc{0x401400, {{"main.main", "/src/main.go", 30}}}};
  r.callsites = {leak, unknown};
  return r;
}

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

class PprofOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string gz = RenderPprof(SampleReport());
    ASSERT_GE(gz.size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);  // gzip magic: pprof gunzips on it
    EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
    ASSERT_TRUE(p.ParseFromString(Gunzip(gz)));
  }
  const std::string& S(int64_t i) const { return p.string_table(static_cast<int>(i)); }
  std::string Label(const pprof::Sample& s, const std::string& key) const {
    for (const auto& l : s.label()) {
      if (S(l.key()) == key) return S(l.str());
    }
    return "<none>";
  }
  pprof::Profile p;
};

TEST_F(PprofOutput, HeaderAsGoHeapProfile) {
  ASSERT_EQ(S(0), "");
  ASSERT_EQ(p.sample_type_size(), 4);
  const char* want[4][2] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                            {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
  for (int i = 0; i < 4; i++) {
    EXPECT_EQ(S(p.sample_type(i).type()), want[i][0]);
    EXPECT_EQ(S(p.sample_type(i).unit()), want[i][1]);
  }
  EXPECT_EQ(S(p.period_type().type()), "space");
  EXPECT_EQ(S(p.period_type().unit()), "bytes");
  EXPECT_EQ(p.period(), 1);
  EXPECT_EQ(p.duration_nanos(), 2'500'000'000);
  EXPECT_EQ(p.time_nanos(), 1'700'000'000'000'000'000 - 2'500'000'000);
  EXPECT_EQ(p.default_sample_type(), 0);  // retained figures exist: inuse_space, as Go's heap
}

TEST_F(PprofOutput, OneMappingWithBuildIdAndFlags) {
  ASSERT_EQ(p.mapping_size(), 1);
  const auto& m = p.mapping(0);
  EXPECT_EQ(m.id(), 1u);
  EXPECT_EQ(S(m.filename()), "/bin/app");
  EXPECT_EQ(S(m.build_id()), "abcdef");
  EXPECT_EQ(m.memory_start(), 0x401000u);
  EXPECT_EQ(m.memory_limit(), 0x480000u);
  EXPECT_EQ(m.file_offset(), 0x1000u);
  EXPECT_TRUE(m.has_functions() && m.has_filenames() && m.has_line_numbers() && m.has_inline_frames());
}

TEST_F(PprofOutput, SamplesValuesAndLabels) {
  ASSERT_EQ(p.sample_size(), 2);
  const auto& leak = p.sample(0);
  ASSERT_EQ(leak.value_size(), 4);
  EXPECT_EQ(leak.value(0), 7);  // heap objects
  EXPECT_EQ(leak.value(1), 9000);
  EXPECT_EQ(leak.value(2), 5);
  EXPECT_EQ(leak.value(3), 6000);
  EXPECT_EQ(Label(leak, "kind"), "map.grow");
  EXPECT_EQ(Label(leak, "type"), "map[string]int");
  EXPECT_EQ(Label(leak, "leak"), "true");
  const auto& other = p.sample(1);
  EXPECT_EQ(other.value(0), 1);
  EXPECT_EQ(other.value(1), 64);
  EXPECT_EQ(other.value(2), 0);  // retained unknown: 0
  EXPECT_EQ(other.value(3), 0);
  EXPECT_EQ(Label(other, "kind"), "slice.grow");
  EXPECT_EQ(Label(other, "type"), "<none>");
  EXPECT_EQ(Label(other, "leak"), "<none>");
}

TEST_F(PprofOutput, LocationsCarryPcsAndInlinedLines) {
  ASSERT_EQ(p.location_size(), 3);  // main.main's PC is shared by both samples
  ASSERT_EQ(p.sample(0).location_id_size(), 2);
  EXPECT_EQ(p.sample(0).location_id(1), p.sample(1).location_id(1));
  const auto& site = p.location(static_cast<int>(p.sample(0).location_id(0)) - 1);
  EXPECT_EQ(site.address(), 0x401233u);
  EXPECT_EQ(site.mapping_id(), 1u);
  ASSERT_EQ(site.line_size(), 2);  // inlined frame first, its caller last
  const auto& inner = p.function(static_cast<int>(site.line(0).function_id()) - 1);
  const auto& outer = p.function(static_cast<int>(site.line(1).function_id()) - 1);
  EXPECT_EQ(S(inner.name()), "main.leak");
  EXPECT_EQ(S(inner.filename()), "/src/main.go");
  EXPECT_EQ(site.line(0).line(), 12);
  EXPECT_EQ(S(outer.name()), "main.loop");
  EXPECT_EQ(site.line(1).line(), 20);
}

TEST(PprofOutputAllocOnly, DefaultsToAllocSpaceWithoutRetainedFigures) {
  Report r = SampleReport();
  for (auto& c : r.callsites) {
    c.retained_bytes.reset();
    c.retained_objects.reset();
  }
  pprof::Profile p;
  ASSERT_TRUE(p.ParseFromString(RenderPprofProto(r)));
  EXPECT_EQ(p.string_table(static_cast<int>(p.default_sample_type())), "alloc_space");
}

}  // namespace
}  // namespace goretain
