#include "userspace/output/pprof.h"

#include <zlib.h>

#include <cmath>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include <google/protobuf/arena.h>

#include "userspace/output/profile.pb.h"

namespace goretain {
namespace {

// Builds the Profile's tables (strings, functions, locations, mappings), each entry once.
class ProfileBuilder {
 public:
  ProfileBuilder(pprof::Profile& p, size_t rows) : p_(p) {
    strings_.reserve(2 * rows);
    locations_.reserve(2 * rows);
    functions_.reserve(rows);
    Str("");  // string_table[0] must be ""
  }

  int64_t Str(const std::string& s) {
    auto [it, inserted] = strings_.try_emplace(s, static_cast<int64_t>(strings_.size()));
    if (inserted) p_.add_string_table(s);
    return it->second;
  }

  void ValueType(pprof::ValueType* v, const char* type, const char* unit) {
    v->set_type(Str(type));
    v->set_unit(Str(unit));
  }

  void AddMapping(const ReportTarget& t) {
    if (mappings_.contains(t.exe)) return;
    pprof::Mapping* m = p_.add_mapping();
    m->set_id(p_.mapping_size());
    m->set_memory_start(t.text_start);
    m->set_memory_limit(t.text_limit);
    m->set_file_offset(t.text_file_offset);
    m->set_filename(Str(t.exe));
    m->set_build_id(Str(t.build_id));
    m->set_has_functions(true);
    m->set_has_filenames(true);
    m->set_has_line_numbers(true);
    m->set_has_inline_frames(true);
    mappings_[t.exe] = m->id();
  }

  uint64_t Location(const std::string& exe, const StackPc& pc) {
    auto mit = mappings_.find(exe);
    const uint64_t mapping = mit == mappings_.end() ? 0 : mit->second;
    // (The same PC as a call site drops runtime frames that it keeps as a caller: two Locations.)
    const LocationKey key{mapping, pc.pc, pc.frames.size()};
    auto [it, inserted] = locations_.try_emplace(key, 0);
    if (!inserted) return it->second;
    pprof::Location* l = p_.add_location();
    l->set_id(p_.location_size());
    l->set_mapping_id(mapping);
    l->set_address(pc.pc);
    for (const SourceFrame& f : pc.frames) {  // innermost first, as the format wants
      pprof::Line* line = l->add_line();
      line->set_function_id(Function(f));
      line->set_line(f.line);
    }
    return it->second = l->id();
  }

 private:
  uint64_t Function(const SourceFrame& f) {
    key_.assign(f.function).push_back('\0');
    key_.append(f.file);
    auto [it, inserted] = functions_.try_emplace(key_, 0);
    if (!inserted) return it->second;
    pprof::Function* fn = p_.add_function();
    fn->set_id(p_.function_size());
    fn->set_name(Str(f.function));
    fn->set_system_name(Str(f.function));
    fn->set_filename(Str(f.file));
    return it->second = fn->id();
  }

  struct LocationKey {
    uint64_t mapping, pc, frames;
    bool operator==(const LocationKey&) const = default;
  };
  struct LocationKeyHash {
    size_t operator()(const LocationKey& k) const noexcept {
      return std::hash<uint64_t>()(k.pc * 31 + k.mapping * 7 + k.frames);
    }
  };

  pprof::Profile& p_;
  std::unordered_map<std::string, int64_t> strings_;
  std::map<std::string, uint64_t> mappings_;  // exe -> mapping id
  std::unordered_map<LocationKey, uint64_t, LocationKeyHash> locations_;
  std::unordered_map<std::string, uint64_t> functions_;  // "name\0file" -> id
  std::string key_;  // scratch
};

void AddLabel(ProfileBuilder& b, pprof::Sample* s, const char* key, const std::string& value) {
  pprof::Label* l = s->add_label();
  l->set_key(b.Str(key));
  l->set_str(b.Str(value));
}

void AddSample(ProfileBuilder& b, pprof::Profile& p, const CallsiteRow& c) {
  pprof::Sample* s = p.add_sample();
  if (c.pcs.empty()) {  // no PC resolved: one Location with the site's frame, no address
    s->add_location_id(b.Location(c.exe, StackPc{0, {c.site}}));
  }
  for (const StackPc& pc : c.pcs) s->add_location_id(b.Location(c.exe, pc));
  s->add_value(static_cast<int64_t>(c.heap_objects));
  s->add_value(static_cast<int64_t>(c.alloc_bytes));
  s->add_value(static_cast<int64_t>(c.retained_objects.value_or(0)));
  s->add_value(static_cast<int64_t>(c.retained_bytes.value_or(0)));
  AddLabel(b, s, "kind", KindName(c.kind));
  if (!c.type.empty()) AddLabel(b, s, "type", c.type);
  if (c.leaking) AddLabel(b, s, "leak", "true");  // pprof drops empty labels: absent = false
}

void AddHeader(ProfileBuilder& b, pprof::Profile& p, const Report& r, PprofView view) {
  b.ValueType(p.add_sample_type(), "alloc_objects", "count");
  b.ValueType(p.add_sample_type(), "alloc_space", "bytes");
  b.ValueType(p.add_sample_type(), "inuse_objects", "count");
  b.ValueType(p.add_sample_type(), "inuse_space", "bytes");
  b.ValueType(p.mutable_period_type(), "space", "bytes");
  p.set_period(1);  // exact: every allocation counted once
  const int64_t duration = std::llround(r.elapsed_s * 1e9);
  p.set_time_nanos(r.unix_time_ns - duration);
  p.set_duration_nanos(duration);
  bool any_retained = false;
  for (const CallsiteRow& c : r.callsites) any_retained = any_retained || c.retained_bytes;
  // Unset means the last type (inuse_space), as Go's heap profile; with no retained figures at
  // all (no --retained), alloc_space is what there is to see.
  if (!any_retained || view == PprofView::kAllocs) {
    p.set_default_sample_type(b.Str("alloc_space"));
  }
  for (const ReportTarget& t : r.targets) {
    b.AddMapping(t);
    p.add_comment(b.Str("goretain: pid " + std::to_string(t.pid) + " " + t.exe + " (" +
                        t.go_version + ")"));
  }
  p.add_comment(b.Str("alloc_objects: heap objects; inuse: retained after the last checked GC "
                      "(0 where unknown)"));
}

std::string Gzip(const std::string& data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer, not zlib's.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  return out;
}

}  // namespace

std::string RenderPprofProto(const Report& r, PprofView view) {
  // One arena for the whole message: tens of thousands of small messages, freed at once.
  google::protobuf::Arena arena;
  pprof::Profile& p = *google::protobuf::Arena::CreateMessage<pprof::Profile>(&arena);
  ProfileBuilder b(p, r.callsites.size());
  AddHeader(b, p, r, view);
  for (const CallsiteRow& c : r.callsites) AddSample(b, p, c);
  return p.SerializeAsString();
}

std::string RenderPprof(const Report& r, PprofView view) {
  return Gzip(RenderPprofProto(r, view));
}

}  // namespace goretain
