#include "userspace/goruntime/heap_layout.h"

#include <elf.h>
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "userspace/goruntime/go_releases.h"
#include "userspace/goruntime/heap_code.h"

namespace goretain {
namespace {

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
  const GoRelease* off = FindGoRelease(v);
  if (!off) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("heap liveness does not support {} (supported: go1.{} to go1.{})",
                                 name, kMinGoMinor, kMaxGoMinor));
  }
  if (off->malloc_headers && HasExperiment(v.raw, "noallocheaders")) {
    return MakeError(ErrorCode::kUnsupported,
                     "heap liveness does not support " + name + " (GOEXPERIMENT=noallocheaders)");
  }

  HeapLayout l;
  l.version = v;
  l.mheap_sweepgen = off->mheap_sweepgen;
  l.mheap_arenas = off->mheap_arenas;
  l.arena_spans = off->arena_spans;
  l.span_start = 24;
  l.span_npages = 32;
  l.span_freeindex = 48;
  l.span_nelems = off->uint16_span_indices ? 50 : 56;
  l.index_width = off->uint16_span_indices ? 2 : 8;
  l.span_alloc_bits = off->span_alloc_bits;
  l.span_gcmark_bits = off->span_gcmark_bits;
  l.span_sweepgen = off->span_sweepgen;
  l.span_spanclass = off->span_spanclass;
  l.span_state = off->span_state;
  l.span_elemsize = off->span_elemsize;
  l.span_limit = off->span_limit;
  l.span_read_size = off->span_limit + 8;
  l.malloc_headers = off->malloc_headers;
  l.green_tea = (off->green_tea == GreenTea::kDefault && !HasExperiment(v.raw, "nogreenteagc")) ||
                (off->green_tea == GreenTea::kOptIn && HasExperiment(v.raw, "greenteagc"));

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
