// Build info layout (cmd/link buildinfo(), see go-runtime.md §6.6): a 32-byte header
//   "\xff Go buildinf:" (14 B), ptrSize u8, flags u8 (bit 0 big-endian, bit 1 inline strings), pad
// then either two uvarint-length-prefixed strings (1.18+: version, modinfo) or two pointers to Go
// string headers {ptr, len} (1.17 and older).
#include "symbols/buildinfo.h"

#include <charconv>
#include <cstring>

#include "symbols/byte_reader.h"

namespace goretain::symbols {
namespace {

using detail::Bytes;

constexpr std::string_view kMagic("\xff Go buildinf:", 14);
constexpr uint64_t kHeaderSize = 32;
constexpr uint8_t kFlagBigEndian = 1;
constexpr uint8_t kFlagInlineStrings = 2;

// A uvarint-length-prefixed string at *off inside `data`; advances *off.
std::optional<std::string_view> InlineString(Bytes data, uint64_t* off) {
  auto len = detail::ReadUvarint(data, off);
  if (!len) return std::nullopt;
  Bytes s = detail::SubBytes(data, *off, *len);
  if (s.size() != *len) return std::nullopt;
  *off += *len;
  return std::string_view(reinterpret_cast<const char*>(s.data()), s.size());
}

// The Go string whose header {ptr, len} is at `header_va`.
std::optional<std::string_view> PointedString(const ElfFile& elf, uint64_t header_va) {
  Bytes header = elf.BytesAt(ElfVaddr(header_va), 16);
  auto ptr = detail::ReadU64(header, 0);
  auto len = detail::ReadU64(header, 8);
  if (!ptr || !len) return std::nullopt;
  if (*len == 0) return std::string_view();
  Bytes s = elf.BytesAt(ElfVaddr(*ptr), *len);
  if (s.empty()) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(s.data()), s.size());
}

std::optional<BuildInfo> Decode(const ElfFile& elf, Bytes blob) {
  if (blob.size() < kHeaderSize) return std::nullopt;
  const uint8_t ptr_size = blob[14];
  const uint8_t flags = blob[15];
  if ((flags & kFlagBigEndian) != 0) return std::nullopt;
  std::optional<std::string_view> version, modinfo;
  if ((flags & kFlagInlineStrings) != 0) {
    uint64_t off = kHeaderSize;
    version = InlineString(blob, &off);
    if (version) modinfo = InlineString(blob, &off);
  } else {
    if (ptr_size != 8) return std::nullopt;
    auto vp = detail::ReadU64(blob, 16);
    auto mp = detail::ReadU64(blob, 24);
    if (!vp || !mp) return std::nullopt;
    version = PointedString(elf, *vp);
    modinfo = PointedString(elf, *mp);
  }
  if (!version) return std::nullopt;
  BuildInfo info;
  if (auto v = ParseGoVersion(*version)) {
    info.go_version = *v;
  } else {
    info.go_version.raw = std::string(*version);  // e.g. "devel ...": keep what is there
  }
  if (modinfo) ParseModInfo(*modinfo, &info);
  return info;
}

// Finds the header at a 16-byte-aligned address inside a writable segment.
std::optional<BuildInfo> Scan(const ElfFile& elf) {
  for (const ElfSegment& seg : elf.load_segments()) {
    if ((seg.flags & 2 /*PF_W*/) == 0) continue;
    Bytes bytes = elf.BytesAt(seg.vaddr, seg.filesz);
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    for (size_t pos = text.find(kMagic); pos != std::string_view::npos;
         pos = text.find(kMagic, pos + 1)) {
      if (((seg.vaddr.value + pos) & 15) != 0) continue;
      if (auto info = Decode(elf, bytes.subspan(pos))) return info;
    }
  }
  return std::nullopt;
}

// Fallback for binaries whose build info blob was removed (esbuild >= 0.27 ships without one): the
// runtime.buildVersion variable, a Go string header {ptr, len} in a writable segment whose bytes
// parse as a Go version. Found by symbol if present, else by scanning the writable segments for
// such a header (8-byte aligned, 4 <= len <= 64, pointing at "go1.").
std::optional<BuildInfo> FromRuntimeBuildVersion(const ElfFile& elf) {
  auto parse = [&](uint64_t header_va) -> std::optional<BuildInfo> {
    auto s = PointedString(elf, header_va);
    if (!s) return std::nullopt;
    auto v = ParseGoVersion(*s);
    if (!v) return std::nullopt;
    BuildInfo info;
    info.go_version = std::move(*v);
    return info;
  };
  if (auto sym = elf.FindSymbol("runtime.buildVersion")) return parse(sym->value.value);
  for (const ElfSegment& seg : elf.load_segments()) {
    if ((seg.flags & 2 /*PF_W*/) == 0) continue;
    Bytes bytes = elf.BytesAt(seg.vaddr, seg.filesz);
    const uint64_t first = (8 - (seg.vaddr.value & 7)) & 7;
    for (uint64_t off = first; off + 16 <= bytes.size(); off += 8) {
      const uint64_t len = *detail::ReadU64(bytes, off + 8);
      if (len < 4 || len > 64) continue;
      Bytes head = elf.BytesAt(ElfVaddr(*detail::ReadU64(bytes, off)), 4);
      if (head.size() != 4 || std::memcmp(head.data(), "go1.", 4) != 0) continue;
      if (auto info = parse(seg.vaddr.value + off)) return info;
    }
  }
  return std::nullopt;
}

bool ParseInt(std::string_view s, size_t* pos, int* out) {
  const char* begin = s.data() + *pos;
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), *out);
  if (ec != std::errc() || ptr == begin) return false;
  *pos += static_cast<size_t>(ptr - begin);
  return true;
}

}  // namespace

std::optional<GoVersion> ParseGoVersion(std::string_view s) {
  if (!s.starts_with("go")) return std::nullopt;
  GoVersion v;
  size_t pos = 2;
  if (!ParseInt(s, &pos, &v.major)) return std::nullopt;
  if (pos >= s.size() || s[pos] != '.') return std::nullopt;
  ++pos;
  if (!ParseInt(s, &pos, &v.minor)) return std::nullopt;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    if (!ParseInt(s, &pos, &v.patch)) return std::nullopt;
  } else {
    // Pre-releases: "go1.21rc2", "go1.22beta1" (no patch level).
    for (std::string_view tag : {"rc", "beta"}) {
      if (s.substr(pos).starts_with(tag)) {
        pos += tag.size();
        int n = 0;
        if (!ParseInt(s, &pos, &n)) return std::nullopt;
        break;
      }
    }
  }
  // Anything after the version must be separated by a space (" X:greenteagc").
  if (pos != s.size() && s[pos] != ' ') return std::nullopt;
  if (v.major < 0 || v.minor < 0 || v.patch < 0) return std::nullopt;
  v.raw = std::string(s);
  return v;
}

void ParseModInfo(std::string_view mod, BuildInfo* info) {
  // The runtime brackets modinfo with 16-byte sentinels; the second ends just after a newline.
  if (mod.size() >= 33 && mod[mod.size() - 17] == '\n') mod = mod.substr(16, mod.size() - 32);
  while (!mod.empty()) {
    size_t nl = mod.find('\n');
    std::string_view line = mod.substr(0, nl);
    mod = nl == std::string_view::npos ? std::string_view() : mod.substr(nl + 1);
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    std::string_view key = line.substr(0, tab);
    std::string_view rest = line.substr(tab + 1);
    std::string_view first = rest.substr(0, rest.find('\t'));
    if (key == "path" && info->main_path.empty()) info->main_path = std::string(first);
    if (key == "mod" && info->main_module.empty()) info->main_module = std::string(first);
  }
}

std::optional<BuildInfo> ReadBuildInfo(const ElfFile& elf) {
  if (const ElfSection* s = elf.FindSection(".go.buildinfo")) {
    Bytes data = elf.SectionData(*s);
    if (data.size() >= kMagic.size() &&
        std::string_view(reinterpret_cast<const char*>(data.data()), kMagic.size()) == kMagic) {
      if (auto info = Decode(elf, data)) return info;
    }
  }
  if (auto info = Scan(elf)) return info;
  return FromRuntimeBuildVersion(elf);
}

}  // namespace goretain::symbols
