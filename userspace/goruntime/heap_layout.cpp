#include "userspace/goruntime/heap_layout.h"

#include <elf.h>
#include <fmt/format.h>

#include <iterator>
#include <string>
#include <string_view>

#include "userspace/goruntime/go_releases.h"
#include "userspace/goruntime/heap_code.h"

namespace goretain {
namespace {

// Layouts per Go version (go-runtime.md §5.1, checked against DWARF for 1.17 … 1.27-dev).

struct VersionOffsets {
  int minor;
  uint32_t sweepgen, arenas, arena_spans;
  bool uint16_indices;  // freeindex/nelems are uint16 from 1.22
  uint32_t alloc_bits, gcmark_bits, span_sweepgen, spanclass, state, elemsize, limit;
};

constexpr VersionOffsets kOffsets[] = {
    {17, 65832, 65944, 2097152, false, 72, 80, 88, 98, 99, 104, 112},
    {18, 65840, 65936, 2097152, false, 72, 80, 88, 98, 99, 104, 112},
    {19, 65848, 65936, 2097152, false, 72, 80, 88, 98, 99, 104, 112},
    {20, 65816, 65904, 1064960, false, 72, 80, 88, 98, 99, 104, 112},
    {21, 65856, 65944, 1064960, false, 72, 80, 96, 106, 107, 112, 120},
    {22, 65856, 66008, 0, true, 64, 72, 88, 98, 99, 104, 112},
    {23, 65856, 66008, 0, true, 64, 72, 88, 98, 99, 104, 112},
    {24, 65856, 66008, 0, true, 64, 72, 88, 98, 99, 104, 112},
    {25, 65856, 66008, 0, true, 64, 72, 88, 98, 99, 104, 112},
    {26, 65856, 66008, 0, true, 64, 72, 88, 98, 99, 104, 112},
    {27, 65856, 66008, 0, true, 64, 72, 88, 98, 99, 104, 112},
};
static_assert(kOffsets[0].minor == kMinGoMinor &&
                  std::size(kOffsets) == kMaxGoMinor - kMinGoMinor + 1,
              "one heap layout row per supported release");

bool HasExperiment(const std::string& raw, std::string_view name) {
  const size_t x = raw.find(" X:");
  if (x == std::string::npos) return false;
  std::string_view list = std::string_view(raw).substr(x + 3);
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    if (const size_t sp = item.find(' '); sp != std::string_view::npos) item = item.substr(0, sp);
    if (item == name) return true;
    if (comma == std::string_view::npos) break;
    list = list.substr(comma + 1);
  }
  return false;
}

}  // namespace

Result<HeapLayout> HeapLayout::For(const symbols::GoBinary& binary) {
  const symbols::GoVersion& v = binary.build_info().go_version;
  const std::string name = v.raw.empty() ? std::string("an unknown Go version") : v.raw;
  if (binary.elf().machine() != EM_X86_64) {
    return MakeError(ErrorCode::kUnsupported, "heap liveness: only amd64 is supported");
  }
  const VersionOffsets* off = nullptr;
  if (v.major == 1) {
    for (const VersionOffsets& o : kOffsets) {
      if (o.minor == v.minor) off = &o;
    }
  }
  if (!off) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("heap liveness does not support {} (supported: go1.{} to go1.{})",
                                 name, kMinGoMinor, kMaxGoMinor));
  }
  if (v.minor >= 22 && HasExperiment(v.raw, "noallocheaders")) {
    return MakeError(ErrorCode::kUnsupported,
                     "heap liveness does not support " + name + " (GOEXPERIMENT=noallocheaders)");
  }

  HeapLayout l;
  l.version = v;
  l.mheap_sweepgen = off->sweepgen;
  l.mheap_arenas = off->arenas;
  l.arena_spans = off->arena_spans;
  l.span_start = 24;
  l.span_npages = 32;
  l.span_freeindex = 48;
  l.span_nelems = off->uint16_indices ? 50 : 56;
  l.index_width = off->uint16_indices ? 2 : 8;
  l.span_alloc_bits = off->alloc_bits;
  l.span_gcmark_bits = off->gcmark_bits;
  l.span_sweepgen = off->span_sweepgen;
  l.span_spanclass = off->spanclass;
  l.span_state = off->state;
  l.span_elemsize = off->elemsize;
  l.span_limit = off->limit;
  l.span_read_size = off->limit + 8;
  l.malloc_headers = v.minor >= 22;
  l.green_tea = (v.minor >= 26 && !HasExperiment(v.raw, "nogreenteagc")) ||
                (v.minor == 25 && HasExperiment(v.raw, "greenteagc"));

  if (auto sym = binary.elf().FindSymbol("runtime.mheap_")) {
    l.mheap = sym->value;
    l.mheap_source = MheapSource::kSymtab;
    return l;
  }
  const symbols::Function* sweep = binary.FindFunction("runtime.gcSweep");
  if (!sweep) {
    return MakeError(ErrorCode::kNotFound,
                     binary.elf().path() + ": no runtime.mheap_ symbol and no runtime.gcSweep");
  }
  auto target = FindSweepgenIncrement(binary.Code(*sweep), sweep->entry.value);
  if (!target || *target < l.mheap_sweepgen) {
    return MakeError(ErrorCode::kNotFound, binary.elf().path() +
                                               ": runtime.mheap_ not found (no symbol, no "
                                               "sweepgen increment in runtime.gcSweep)");
  }
  // mheap_ lives in a writable, allocated section (.noptrbss in practice).
  const uint64_t mheap = *target - l.mheap_sweepgen;
  bool in_data = false;
  for (const symbols::ElfSection& s : binary.elf().sections()) {
    if ((s.flags & SHF_WRITE) && (s.flags & SHF_ALLOC) && mheap >= s.addr.value &&
        mheap < s.addr.value + s.size) {
      in_data = true;
    }
  }
  if (!in_data) {
    return MakeError(ErrorCode::kNotFound, binary.elf().path() +
                                               ": runtime.gcSweep's sweepgen increment does not "
                                               "point into writable data");
  }
  l.mheap = ElfVaddr(mheap);
  l.mheap_source = MheapSource::kGcSweepCode;
  return l;
}

}  // namespace goretain
