// ElfFile: a read-only, memory-mapped ELF file with the few queries a Go tracer needs.
//
// Contract: never trusts the file. Every offset and size read from it is bounds-checked; a corrupt
// or truncated file yields an Error, never a crash. Uses libelf for headers, sections and symbols.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "symbols/address.h"
#include "symbols/result.h"

namespace goretain::symbols {

struct ElfSection {
  std::string name;
  ElfVaddr addr;        // sh_addr (0 for non-allocated sections)
  FileOffset offset;    // sh_offset
  uint64_t size = 0;
  uint32_t type = 0;    // sh_type (SHT_NOBITS sections have no file bytes)
  uint64_t flags = 0;   // sh_flags
};

struct ElfSegment {     // a PT_LOAD program header
  ElfVaddr vaddr;
  FileOffset offset;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint32_t flags = 0;   // PF_R | PF_W | PF_X
};

struct ElfSymbol {
  std::string_view name;
  ElfVaddr value;
  uint64_t size = 0;
};

class ElfFile {
 public:
  // Errors: kNotFound, kPermission, kBadInput (not an ELF file, truncated, corrupt headers).
  static Result<std::unique_ptr<ElfFile>> Open(const std::string& path);
  ~ElfFile();
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  const std::string& path() const;
  uint16_t machine() const;     // e_machine (EM_X86_64 = 62)
  bool is_pie() const;          // ET_DYN
  std::span<const uint8_t> bytes() const;  // the whole file

  const std::vector<ElfSection>& sections() const;
  const std::vector<ElfSegment>& load_segments() const;
  const ElfSection* FindSection(std::string_view name) const;
  std::span<const uint8_t> SectionData(const ElfSection& s) const;  // empty for NOBITS/out of range

  // Symbol lookup in .symtab, then .dynsym. nullopt in stripped files.
  std::optional<ElfSymbol> FindSymbol(std::string_view name) const;

  // Virtual address -> file offset through the PT_LOAD headers; nullopt if not file-backed.
  std::optional<FileOffset> ToFileOffset(ElfVaddr va) const;
  // `size` bytes of file content at `va`; empty if any part is outside the file-backed image.
  std::span<const uint8_t> BytesAt(ElfVaddr va, uint64_t size) const;

 private:
  struct Impl;
  explicit ElfFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace goretain::symbols
