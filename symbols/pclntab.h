// Pclntab: a read-only view of a Go pclntab (the runtime's "pcHeader" and the tables after it).
// Internal to goretain_symbols.
//
// Formats (magic at offset 0, little-endian, 8-byte pointers only):
//   0xfffffffa  Go 1.16/1.17  functab holds absolute entries; funcdata are absolute pointers
//   0xfffffff0  Go 1.18/1.19  functab holds entry offsets from textStart; funcdata are u32
//                             offsets from moduledata.gofunc
//   0xfffffff1  Go 1.20+      as 1.18, `_func` gains startLine; inline tree entries shrink to 16 B
//                             (1.26+ stores textStart as 0: the caller supplies it, set_text_start)
// The view keeps no copies: it holds the bytes and a few header fields. Every accessor is
// bounds-checked and returns nullopt/empty on corrupt data.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "symbols/address.h"
#include "symbols/result.h"

namespace goretain::symbols {

enum class PclntabFormat { kGo116, kGo118, kGo120 };

// PCDATA / FUNCDATA table indices used here (runtime/symtab.go, internal/abi/symtab.go).
inline constexpr uint32_t kPcdataInlTreeIndex = 2;
inline constexpr uint32_t kFuncdataInlTree = 3;

// The fields of a runtime `_func` record that symbolization needs.
struct FuncRecord {
  uint64_t entry = 0;    // absolute ElfVaddr of the function's first instruction
  int32_t name_off = 0;  // into funcnametab
  uint32_t pcfile = 0;   // pcvalue table offsets into pctab (0 = absent)
  uint32_t pcln = 0;
  uint32_t npcdata = 0;
  uint32_t cu_offset = 0;  // index of this compilation unit's first entry in cutab
  uint8_t nfuncdata = 0;
  uint64_t offset = 0;  // offset of the record inside the pclntab
};

// A position inside a pcvalue table after some steps: the table continues at pctab offset `pos`,
// and `value` holds for the PCs (relative to the function entry) just below `pc_off`.
struct PcCursor {
  uint64_t pc_off = 0;
  uint32_t pos = 0;
  int32_t value = -1;
};

// One entry of an inline tree (FUNCDATA_InlTree), normalised over the 1.17-1.19 and 1.20+ layouts.
struct InlinedCall {
  int32_t name_off = 0;   // into funcnametab: the inlined function's name
  int32_t parent_pc = 0;  // offset from the outer function's entry of a PC "in" the call site
};

class Pclntab {
 public:
  // Validates the header of the table starting at data[0] (`data` may extend past the table's
  // end, e.g. to the end of its segment). `addr` is the table's ElfVaddr.
  // Errors: kUnsupported (pre-1.16 format, non-8-byte pointers), kBadInput (anything inconsistent).
  static Result<Pclntab> Parse(std::span<const uint8_t> data, ElfVaddr addr);
  // True if `data` starts with something that looks like a supported pcHeader (cheap; for scans).
  static bool LooksLikeHeader(std::span<const uint8_t> data);

  PclntabFormat format() const { return format_; }
  ElfVaddr addr() const { return addr_; }
  uint64_t size() const { return data_.size(); }
  uint8_t min_lc() const { return min_lc_; }
  uint64_t nfunc() const { return nfunc_; }
  uint64_t funcname_offset() const { return funcname_off_; }
  uint64_t ftab_offset() const { return pcln_off_; }
  // The stored textStart (1.18+): 0 in 1.26+ binaries and in 1.16/1.17 (unused there).
  uint64_t stored_text_start() const { return text_start_; }
  void set_text_start(uint64_t text) { text_start_ = text; }

  // Functab entry i (i <= nfunc; entry nfunc is the end of text and has no record).
  // `entry` is absolute; `funcoff` is the record's offset from the functab start.
  bool FunctabEntry(uint64_t i, uint64_t* entry, uint64_t* funcoff) const;
  std::optional<FuncRecord> Func(uint64_t funcoff) const;

  std::string_view FuncName(int32_t name_off) const;
  // The file name for the pcfile value `fileno` of `f`; empty if unknown.
  std::string_view FileName(const FuncRecord& f, int32_t fileno) const;

  // The value of the pcvalue table at pctab offset `table` for `pc` in the function starting at
  // `entry`; nullopt if there is no table, pc is outside it, or the table is corrupt.
  std::optional<int32_t> PcValue(uint32_t table, uint64_t entry, uint64_t pc) const;
  // As PcValue for the PC `pc_off` bytes after the entry, resuming from `from` (a cursor of the
  // same table with from->pc_off <= pc_off) instead of the table start when it is not null.
  std::optional<int32_t> PcValueAt(uint32_t table, uint64_t pc_off, const PcCursor* from) const;
  // Cursors after every `every` steps of `table` (for PcValueAt on long tables); empty if the
  // table is absent or shorter than `every` steps.
  std::vector<PcCursor> PcCheckpoints(uint32_t table, uint32_t every) const;
  // Offset of PCDATA table `index` of `f` (0 if the function has none).
  uint32_t PcdataTable(const FuncRecord& f, uint32_t index) const;
  // FUNCDATA `index` of `f`: for 1.18+ an offset from moduledata.gofunc (nullopt if absent); for
  // 1.16/1.17 the absolute address.
  std::optional<uint64_t> Funcdata(const FuncRecord& f, uint32_t index) const;

  // Inline tree entry size in bytes for this format.
  uint64_t InlinedCallSize() const { return format_ == PclntabFormat::kGo120 ? 16 : 20; }
  // Decodes one inline tree entry from its raw bytes (InlinedCallSize() long).
  std::optional<InlinedCall> DecodeInlinedCall(std::span<const uint8_t> raw) const;

 private:
  std::span<const uint8_t> data_;
  ElfVaddr addr_;
  PclntabFormat format_ = PclntabFormat::kGo120;
  uint8_t min_lc_ = 1;
  uint64_t nfunc_ = 0;
  uint64_t text_start_ = 0;
  uint64_t funcname_off_ = 0;
  uint64_t cu_off_ = 0;
  uint64_t filetab_off_ = 0;
  uint64_t pctab_off_ = 0;
  uint64_t pcln_off_ = 0;
};

}  // namespace goretain::symbols
