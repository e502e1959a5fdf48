#include "symbols/build_id.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace goretain::symbols {
namespace {

constexpr uint32_t kNtGnuBuildId = 3;
constexpr uint32_t kNtGoBuildId = 4;

uint32_t Word(std::span<const uint8_t> d, size_t at) {
  uint32_t v;
  std::memcpy(&v, d.data() + at, 4);
  return v;
}

// The descriptor of the first note in `section` named `name` with type `type` (bounds-checked).
std::optional<std::span<const uint8_t>> NoteDesc(const ElfFile& elf, std::string_view section,
                                                 std::string_view name, uint32_t type) {
  const ElfSection* s = elf.FindSection(section);
  if (!s) return std::nullopt;
  std::span<const uint8_t> d = elf.SectionData(*s);
  auto align4 = [](uint64_t n) { return (n + 3) & ~uint64_t{3}; };
  for (size_t at = 0; at + 12 <= d.size();) {
    const uint64_t namesz = Word(d, at), descsz = Word(d, at + 4), ntype = Word(d, at + 8);
    const uint64_t name_at = at + 12, desc_at = name_at + align4(namesz);
    if (desc_at > d.size() || descsz > d.size() - desc_at) return std::nullopt;
    std::string_view n(reinterpret_cast<const char*>(d.data() + name_at), namesz);
    while (!n.empty() && n.back() == '\0') n.remove_suffix(1);  // Go pads "Go" to 4
    if (n == name && ntype == type) return d.subspan(desc_at, descsz);
    at = desc_at + align4(descsz);
  }
  return std::nullopt;
}

}  // namespace

std::string ReadBuildId(const ElfFile& elf) {
  if (auto gnu = NoteDesc(elf, ".note.gnu.build-id", "GNU", kNtGnuBuildId); gnu && !gnu->empty()) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (uint8_t b : *gnu) {
      hex.push_back(kHex[b >> 4]);
      hex.push_back(kHex[b & 15]);
    }
    return hex;
  }
  if (auto go = NoteDesc(elf, ".note.go.buildid", "Go", kNtGoBuildId)) {
    return std::string(reinterpret_cast<const char*>(go->data()), go->size());
  }
  return "";
}

}  // namespace goretain::symbols
