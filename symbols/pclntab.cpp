#include "symbols/pclntab.h"

#include <array>

#include "symbols/byte_reader.h"

namespace goretain::symbols {
namespace {

using detail::Bytes;
using detail::ReadI32;
using detail::ReadU32;
using detail::ReadU64;
using detail::ReadU8;

constexpr uint32_t kMagic116 = 0xfffffffa;
constexpr uint32_t kMagic118 = 0xfffffff0;
constexpr uint32_t kMagic120 = 0xfffffff1;
constexpr uint32_t kMagicPre116 = 0xfffffffb;

// Field offsets of `_func` (runtime/runtime2.go) per format; see go-runtime.md §6.2. `trailer`
// is where the pcdata/funcdata arrays start: right after nfuncdata, which in 1.16/1.17 is 4 bytes
// before the end of the (8-byte aligned) struct.
struct FuncLayout {
  uint64_t trailer;
  uint64_t pcfile, pcln, npcdata, cu_offset, nfuncdata;
};
constexpr FuncLayout kFunc116{44, 24, 28, 32, 36, 43};
constexpr FuncLayout kFunc118{40, 20, 24, 28, 32, 39};
constexpr FuncLayout kFunc120{44, 20, 24, 28, 32, 43};

const FuncLayout& LayoutOf(PclntabFormat f) {
  switch (f) {
    case PclntabFormat::kGo116:
      return kFunc116;
    case PclntabFormat::kGo118:
      return kFunc118;
    case PclntabFormat::kGo120:
      return kFunc120;
  }
  return kFunc120;
}

std::optional<PclntabFormat> FormatOf(uint32_t magic) {
  switch (magic) {
    case kMagic116:
      return PclntabFormat::kGo116;
    case kMagic118:
      return PclntabFormat::kGo118;
    case kMagic120:
      return PclntabFormat::kGo120;
    default:
      return std::nullopt;
  }
}

// Size of one functab entry: {entry uintptr, funcoff uintptr} (1.16/1.17) or {u32, u32}.
uint64_t FunctabEntrySize(PclntabFormat f) { return f == PclntabFormat::kGo116 ? 16 : 8; }

// A uvarint of at most 5 bytes (pcvalue deltas fit in 32 bits) from [p, end); advances p.
inline bool NextUvarint(const uint8_t*& p, const uint8_t* end, uint32_t* out) {
  uint32_t v = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    if (p == end) return false;
    const uint8_t b = *p++;
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace

bool Pclntab::LooksLikeHeader(std::span<const uint8_t> data) {
  auto magic = ReadU32(data, 0);
  if (!magic || !FormatOf(*magic)) return false;
  if (data.size() < 8 || data[4] != 0 || data[5] != 0) return false;
  const uint8_t min_lc = data[6];
  return (min_lc == 1 || min_lc == 2 || min_lc == 4) && data[7] == 8;
}

Result<Pclntab> Pclntab::Parse(std::span<const uint8_t> data, ElfVaddr addr) {
  auto magic = ReadU32(data, 0);
  if (!magic) return MakeError(ErrorCode::kBadInput, "pclntab truncated");
  if (*magic == kMagicPre116) {
    return MakeError(ErrorCode::kUnsupported, "pclntab of Go older than 1.16 is not supported");
  }
  auto format = FormatOf(*magic);
  if (!format) return MakeError(ErrorCode::kBadInput, "pclntab has an unknown magic number");
  if (data.size() < 8 || data[4] != 0 || data[5] != 0) {
    return MakeError(ErrorCode::kBadInput, "pclntab header is corrupt");
  }
  if (data[7] != 8) {
    return MakeError(ErrorCode::kUnsupported, "pclntab of a 32-bit binary is not supported");
  }
  Pclntab t;
  t.data_ = data;
  t.addr_ = addr;
  t.format_ = *format;
  t.min_lc_ = data[6];
  if (t.min_lc_ != 1 && t.min_lc_ != 2 && t.min_lc_ != 4) {
    return MakeError(ErrorCode::kBadInput, "pclntab header has a bad pc quantum");
  }
  // Header words after the 8-byte prefix; 1.18+ inserts textStart after nfiles.
  const bool has_text = *format != PclntabFormat::kGo116;
  std::array<uint64_t, 8> w{};
  const size_t nwords = has_text ? 8 : 7;
  for (size_t i = 0; i < nwords; ++i) {
    auto v = ReadU64(data, 8 + 8 * i);
    if (!v) return MakeError(ErrorCode::kBadInput, "pclntab header truncated");
    w[i] = *v;
  }
  size_t k = 0;
  t.nfunc_ = w[k++];
  k++;  // nfiles: not needed (files are reached through cutab)
  t.text_start_ = has_text ? w[k++] : 0;
  t.funcname_off_ = w[k++];
  t.cu_off_ = w[k++];
  t.filetab_off_ = w[k++];
  t.pctab_off_ = w[k++];
  t.pcln_off_ = w[k++];
  const uint64_t header_size = 8 + 8 * nwords;
  // The linker lays the tables out in this order; anything else is corruption.
  if (!(header_size <= t.funcname_off_ && t.funcname_off_ <= t.cu_off_ &&
        t.cu_off_ <= t.filetab_off_ && t.filetab_off_ <= t.pctab_off_ &&
        t.pctab_off_ <= t.pcln_off_ && t.pcln_off_ <= data.size())) {
    return MakeError(ErrorCode::kBadInput, "pclntab table offsets are out of range");
  }
  const uint64_t ent = FunctabEntrySize(*format);
  const uint64_t functab_room = data.size() - t.pcln_off_;
  // nfunc records plus the terminating end-of-text entry must fit.
  if (t.nfunc_ == 0 || t.nfunc_ >= functab_room / ent) {
    return MakeError(ErrorCode::kBadInput, "pclntab function count does not fit the table");
  }
  return t;
}

bool Pclntab::FunctabEntry(uint64_t i, uint64_t* entry, uint64_t* funcoff) const {
  if (i > nfunc_) return false;
  if (format_ == PclntabFormat::kGo116) {
    const uint64_t off = pcln_off_ + 16 * i;
    auto e = ReadU64(data_, off);
    if (!e) return false;
    *entry = *e;
    if (funcoff != nullptr) {
      auto f = i < nfunc_ ? ReadU64(data_, off + 8) : std::optional<uint64_t>(0);
      if (!f) return false;
      *funcoff = *f;
    }
    return true;
  }
  const uint64_t off = pcln_off_ + 8 * i;
  auto e = ReadU32(data_, off);
  if (!e) return false;
  *entry = text_start_ + *e;
  if (funcoff != nullptr) {
    auto f = i < nfunc_ ? ReadU32(data_, off + 4) : std::optional<uint32_t>(0);
    if (!f) return false;
    *funcoff = *f;
  }
  return true;
}

std::optional<FuncRecord> Pclntab::Func(uint64_t funcoff) const {
  const FuncLayout& l = LayoutOf(format_);
  if (funcoff > data_.size() - pcln_off_) return std::nullopt;
  const uint64_t off = pcln_off_ + funcoff;
  if (data_.size() - off < l.trailer) return std::nullopt;
  FuncRecord r;
  r.offset = off;
  if (format_ == PclntabFormat::kGo116) {
    r.entry = *ReadU64(data_, off);
    r.name_off = *ReadI32(data_, off + 8);
  } else {
    r.entry = text_start_ + *ReadU32(data_, off);
    r.name_off = *ReadI32(data_, off + 4);
  }
  r.pcfile = *ReadU32(data_, off + l.pcfile);
  r.pcln = *ReadU32(data_, off + l.pcln);
  r.npcdata = *ReadU32(data_, off + l.npcdata);
  r.cu_offset = *ReadU32(data_, off + l.cu_offset);
  r.nfuncdata = *ReadU8(data_, off + l.nfuncdata);
  return r;
}

std::string_view Pclntab::FuncName(int32_t name_off) const {
  if (name_off < 0) return {};
  const Bytes names = data_.subspan(funcname_off_, cu_off_ - funcname_off_);
  return detail::CStringAt(names, static_cast<uint64_t>(name_off));
}

std::string_view Pclntab::FileName(const FuncRecord& f, int32_t fileno) const {
  if (fileno < 0) return {};
  const Bytes cutab = data_.subspan(cu_off_, filetab_off_ - cu_off_);
  auto file_off = ReadU32(cutab, (static_cast<uint64_t>(f.cu_offset) + fileno) * 4);
  if (!file_off || *file_off == 0xffffffff) return {};
  const Bytes filetab = data_.subspan(filetab_off_, pctab_off_ - filetab_off_);
  return detail::CStringAt(filetab, *file_off);
}

std::optional<int32_t> Pclntab::PcValue(uint32_t table, uint64_t entry, uint64_t pc) const {
  if (pc < entry) return std::nullopt;
  return PcValueAt(table, pc - entry, nullptr);
}

// Each step of a pcvalue table: zig-zag value delta, then pc delta in units of minLC. The value
// holds for [previous pc, new pc). A zero value delta after the first step ends the table.
std::optional<int32_t> Pclntab::PcValueAt(uint32_t table, uint64_t target,
                                          const PcCursor* from) const {
  const uint64_t pctab_size = pcln_off_ - pctab_off_;
  if (table == 0 || table >= pctab_size) return std::nullopt;
  const uint8_t* base = data_.data() + pctab_off_;
  const uint8_t* end = data_.data() + pcln_off_;
  const uint8_t* p = base + table;
  uint64_t cur = 0;
  uint32_t value = static_cast<uint32_t>(-1);
  bool first = true;
  if (from != nullptr && from->pos < pctab_size && from->pc_off <= target) {
    p = base + from->pos;
    cur = from->pc_off;
    value = static_cast<uint32_t>(from->value);
    first = false;
  }
  while (true) {
    uint32_t uv, pcdelta;
    // Fast path: both varints are single bytes in the vast majority of steps.
    if (end - p >= 2 && (p[0] | p[1]) < 0x80) {
      uv = p[0];
      pcdelta = p[1];
      p += 2;
    } else if (!NextUvarint(p, end, &uv) || !NextUvarint(p, end, &pcdelta)) {
      return std::nullopt;
    }
    if (uv == 0 && !first) return std::nullopt;
    first = false;
    value += (uv >> 1) ^ (0u - (uv & 1));  // zig-zag decode, wrapping like int32 addition
    cur += static_cast<uint64_t>(pcdelta) * min_lc_;  // cannot overflow: ≤ table bytes × 2^34
    if (target < cur) return static_cast<int32_t>(value);
  }
}

std::vector<PcCursor> Pclntab::PcCheckpoints(uint32_t table, uint32_t every) const {
  std::vector<PcCursor> out;
  const uint64_t pctab_size = pcln_off_ - pctab_off_;
  if (table == 0 || table >= pctab_size || every == 0) return out;
  const uint8_t* base = data_.data() + pctab_off_;
  const uint8_t* end = data_.data() + pcln_off_;
  const uint8_t* p = base + table;
  uint64_t cur = 0;
  uint32_t value = static_cast<uint32_t>(-1);
  // Bounded by the table bytes: every step consumes at least two.
  for (uint64_t step = 0;; ++step) {
    uint32_t uv, pcdelta;
    if (!NextUvarint(p, end, &uv) || !NextUvarint(p, end, &pcdelta)) break;
    if (uv == 0 && step != 0) break;
    value += (uv >> 1) ^ (0u - (uv & 1));
    cur += static_cast<uint64_t>(pcdelta) * min_lc_;
    if ((step + 1) % every == 0) {
      out.push_back(PcCursor{cur, static_cast<uint32_t>(p - base), static_cast<int32_t>(value)});
    }
  }
  return out;
}

uint32_t Pclntab::PcdataTable(const FuncRecord& f, uint32_t index) const {
  if (index >= f.npcdata) return 0;
  const uint64_t off = f.offset + LayoutOf(format_).trailer + 4ull * index;
  return ReadU32(data_, off).value_or(0);
}

std::optional<uint64_t> Pclntab::Funcdata(const FuncRecord& f, uint32_t index) const {
  if (index >= f.nfuncdata) return std::nullopt;
  uint64_t off = f.offset + LayoutOf(format_).trailer + 4ull * f.npcdata;
  if (format_ == PclntabFormat::kGo116) {
    // Pointers follow the pcdata offsets, 8-byte aligned in memory.
    if (((addr_.value + off) & 4) != 0) off += 4;
    auto p = ReadU64(data_, off + 8ull * index);
    if (!p || *p == 0) return std::nullopt;
    return *p;
  }
  auto v = ReadU32(data_, off + 4ull * index);
  if (!v || *v == 0xffffffff) return std::nullopt;
  return *v;
}

std::optional<InlinedCall> Pclntab::DecodeInlinedCall(std::span<const uint8_t> raw) const {
  const bool v120 = format_ == PclntabFormat::kGo120;
  auto name = ReadI32(raw, v120 ? 4 : 12);
  auto parent_pc = ReadI32(raw, v120 ? 8 : 16);
  if (!name || !parent_pc) return std::nullopt;
  return InlinedCall{*name, *parent_pc};
}

}  // namespace goretain::symbols
