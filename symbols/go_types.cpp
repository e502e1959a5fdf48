#include "symbols/go_types.h"

#include "symbols/byte_reader.h"

namespace goretain::symbols {
namespace {

constexpr uint64_t kTypeSize = 48;  // `_type` / `abi.Type`, identical 1.16 -> 1.27
constexpr uint64_t kTflagOffset = 20;
constexpr uint64_t kStrOffset = 40;
constexpr uint8_t kTflagExtraStar = 1 << 1;

}  // namespace

std::optional<std::string> ReadTypeName(const ElfFile& elf, const ModuleData& md, ElfVaddr type,
                                        bool varint_lengths) {
  if (type.value < md.types || type.value >= md.etypes || md.etypes - type.value < kTypeSize) {
    return std::nullopt;
  }
  detail::Bytes desc = elf.BytesAt(type, kTypeSize);
  auto tflag = detail::ReadU8(desc, kTflagOffset);
  auto str = detail::ReadI32(desc, kStrOffset);
  if (!tflag || !str || *str < 0) return std::nullopt;
  const uint64_t name_va = md.types + static_cast<uint64_t>(*str);
  if (name_va >= md.etypes) return std::nullopt;
  // The name cannot extend past etypes; that also bounds the length read below.
  detail::Bytes name = elf.BytesAt(ElfVaddr(name_va), md.etypes - name_va);
  uint64_t off = 1;  // skip the flags byte
  uint64_t len = 0;
  if (varint_lengths) {
    auto v = detail::ReadUvarint(name, &off);
    if (!v) return std::nullopt;
    len = *v;
  } else {
    if (name.size() < 3) return std::nullopt;
    len = (static_cast<uint64_t>(name[1]) << 8) | name[2];
    off = 3;
  }
  detail::Bytes bytes = detail::SubBytes(name, off, len);
  if (bytes.size() != len) return std::nullopt;
  std::string result(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if ((*tflag & kTflagExtraStar) != 0 && !result.empty() && result[0] == '*') result.erase(0, 1);
  return result;
}

}  // namespace goretain::symbols
