#include "symbols/moduledata.h"

#include <vector>

#include "symbols/byte_reader.h"

namespace goretain::symbols {
namespace {

using detail::Bytes;
using detail::ReadU64;

// Field offsets that differ between versions (go-runtime.md §6.4). pcHeader @0, funcnametab @8,
// ftab @128, text @176 and etext @184 are the same in every supported version.
struct Layout {
  uint64_t types, etypes, gofunc;  // gofunc 0: field absent
};
constexpr Layout kLayout116{280, 288, 0};
constexpr Layout kLayout118{280, 288, 304};
constexpr Layout kLayout120{296, 304, 320};  // 1.20 - 1.26
constexpr Layout kLayout127{296, 312, 344};  // 1.27: typedesclen inserted after types
constexpr uint64_t kReadSize = 352;          // covers every field above

std::vector<Layout> CandidateLayouts(PclntabFormat f, const GoVersion& v) {
  switch (f) {
    case PclntabFormat::kGo116:
      return {kLayout116};
    case PclntabFormat::kGo118:
      return {kLayout118};
    case PclntabFormat::kGo120:
      if (v.major == 0) return {kLayout120, kLayout127};  // version unknown: try both
      return {v.AtLeast(1, 27) ? kLayout127 : kLayout120};
  }
  return {};
}

bool Mapped(const ElfFile& elf, uint64_t va) { return !elf.BytesAt(ElfVaddr(va), 1).empty(); }

// Reads the moduledata at `va` if it describes `tab`, else nullopt.
std::optional<ModuleData> Validate(const ElfFile& elf, ElfVaddr va, const Pclntab& tab,
                                   const std::vector<Layout>& layouts) {
  Bytes md = elf.BytesAt(va, kReadSize);
  if (md.empty()) return std::nullopt;
  auto word = [&](uint64_t off) { return *ReadU64(md, off); };
  const uint64_t base = tab.addr().value;
  if (word(0) != base) return std::nullopt;
  if (word(8) != base + tab.funcname_offset()) return std::nullopt;
  if (word(128) != base + tab.ftab_offset() || word(136) != tab.nfunc() + 1) return std::nullopt;
  ModuleData m;
  m.addr = va;
  m.text = word(176);
  m.etext = word(184);
  if (m.text > m.etext) return std::nullopt;
  for (const Layout& l : layouts) {
    m.types = word(l.types);
    m.etypes = word(l.etypes);
    m.gofunc = l.gofunc != 0 ? word(l.gofunc) : 0;
    if (m.types >= m.etypes || !Mapped(elf, m.types)) continue;
    if (l.gofunc != 0 && !Mapped(elf, m.gofunc)) continue;
    return m;
  }
  return std::nullopt;
}

std::optional<ElfVaddr> DirectAddress(const ElfFile& elf) {
  if (auto sym = elf.FindSymbol("runtime.firstmoduledata")) return sym->value;
  if (const ElfSection* s = elf.FindSection(".go.module")) return s->addr;
  return std::nullopt;
}

}  // namespace

std::optional<ElfVaddr> PcHeaderFromModuleData(const ElfFile& elf) {
  auto va = DirectAddress(elf);
  if (!va) return std::nullopt;
  auto word = ReadU64(elf.BytesAt(*va, 8), 0);
  if (!word || *word == 0) return std::nullopt;
  return ElfVaddr(*word);
}

std::optional<ModuleData> FindModuleData(const ElfFile& elf, const Pclntab& tab,
                                         const GoVersion& version) {
  const auto layouts = CandidateLayouts(tab.format(), version);
  if (auto va = DirectAddress(elf)) {
    if (auto m = Validate(elf, *va, tab, layouts)) return m;
  }
  // Stripped binaries before 1.26: moduledata sits in .noptrdata. Its first word is the pclntab
  // address, so 8-byte-aligned words equal to that are the candidates.
  const uint64_t needle = tab.addr().value;
  for (const ElfSegment& seg : elf.load_segments()) {
    if ((seg.flags & 2 /*PF_W*/) == 0) continue;
    Bytes bytes = elf.BytesAt(seg.vaddr, seg.filesz);
    const uint64_t first = (8 - (seg.vaddr.value & 7)) & 7;
    for (uint64_t off = first; off + 8 <= bytes.size(); off += 8) {
      if (*ReadU64(bytes, off) != needle) continue;
      if (auto m = Validate(elf, seg.vaddr + off, tab, layouts)) return m;
    }
  }
  return std::nullopt;
}

}  // namespace goretain::symbols
