#include "symbols/locate_pclntab.h"

#include <optional>

#include "symbols/byte_reader.h"
#include "symbols/moduledata.h"

namespace goretain::symbols {
namespace {

using detail::Bytes;

// Bytes from `va` to the end of the file-backed part of its PT_LOAD (a pclntab found without a
// section has no recorded size; the segment end bounds it).
Bytes BytesToSegmentEnd(const ElfFile& elf, ElfVaddr va) {
  for (const ElfSegment& seg : elf.load_segments()) {
    if (va >= seg.vaddr && va.value - seg.vaddr.value < seg.filesz) {
      return elf.BytesAt(va, seg.filesz - (va.value - seg.vaddr.value));
    }
  }
  return {};
}

// A table found by scanning must also have a plausible first function: inside an executable
// segment (1.26+ tables store textStart 0, so accept entry offsets there as well).
bool PlausibleFunctab(const ElfFile& elf, const Pclntab& tab) {
  uint64_t first = 0, last = 0;
  if (!tab.FunctabEntry(0, &first, nullptr) || !tab.FunctabEntry(tab.nfunc(), &last, nullptr)) {
    return false;
  }
  if (first > last) return false;
  if (tab.stored_text_start() == 0 && tab.format() != PclntabFormat::kGo116) return true;
  for (const ElfSegment& seg : elf.load_segments()) {
    if ((seg.flags & 1 /*PF_X*/) != 0 && first >= seg.vaddr.value &&
        first - seg.vaddr.value < seg.memsz) {
      return true;
    }
  }
  return false;
}

Result<Pclntab> ScanSegments(const ElfFile& elf) {
  for (const ElfSegment& seg : elf.load_segments()) {
    Bytes bytes = elf.BytesAt(seg.vaddr, seg.filesz);
    // The linker aligns the pcHeader to at least 8 bytes.
    const uint64_t first = (8 - (seg.vaddr.value & 7)) & 7;
    for (uint64_t off = first; off + 8 <= bytes.size(); off += 8) {
      // Cheap pre-filter on the top bytes of the magic (0xfffffff?), then the full header check.
      if (bytes[off + 3] != 0xff || bytes[off + 2] != 0xff || bytes[off + 1] != 0xff) continue;
      Bytes rest = bytes.subspan(off);
      if (!Pclntab::LooksLikeHeader(rest)) continue;
      auto tab = Pclntab::Parse(rest, seg.vaddr + off);
      if (tab.ok() && PlausibleFunctab(elf, *tab)) return tab;
    }
  }
  return MakeError(ErrorCode::kNotGo, elf.path() + ": no Go pclntab found (not a Go binary?)");
}

}  // namespace

Result<Pclntab> LocatePclntab(const ElfFile& elf) {
  std::optional<Error> first_error;
  auto attempt = [&](Bytes data, ElfVaddr va) -> std::optional<Pclntab> {
    auto tab = Pclntab::Parse(data, va);
    if (tab.ok()) return *tab;
    if (!first_error) {
      first_error = MakeError(tab.error().code, elf.path() + ": " + tab.error().message);
    }
    return std::nullopt;
  };
  for (const char* name : {".gopclntab", ".data.rel.ro.gopclntab"}) {
    const ElfSection* s = elf.FindSection(name);
    if (s == nullptr || s->size == 0) continue;
    if (auto tab = attempt(elf.SectionData(*s), s->addr)) return *tab;
  }
  if (auto va = PcHeaderFromModuleData(elf)) {
    Bytes data = BytesToSegmentEnd(elf, *va);
    if (Pclntab::LooksLikeHeader(data)) {
      if (auto tab = attempt(data, *va)) return *tab;
    }
  }
  if (first_error) return *first_error;
  return ScanSegments(elf);
}

}  // namespace goretain::symbols
