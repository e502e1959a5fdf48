// ElfFile: the file is mapped privately and read-only for us; libelf parses the headers from that
// mapping (elf_memory), so section data, names and symbol names all point into the one mapping and
// string_views handed out stay valid for the ElfFile's lifetime.
#include "symbols/elf_file.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "symbols/byte_reader.h"

namespace goretain::symbols {
namespace {

Error ErrnoError(int err, const std::string& path) {
  std::string msg = path + ": " + std::strerror(err);
  if (err == ENOENT || err == ENOTDIR) return MakeError(ErrorCode::kNotFound, msg);
  if (err == EACCES || err == EPERM) return MakeError(ErrorCode::kPermission, msg);
  return MakeError(ErrorCode::kIo, msg);
}

}  // namespace

struct ElfFile::Impl {
  std::string path;
  void* map = nullptr;
  size_t size = 0;
  Elf* elf = nullptr;
  uint16_t machine = 0;
  bool pie = false;
  std::vector<ElfSection> sections;     // section i+1 of the file (section 0 is skipped)
  std::vector<uint32_t> section_links;  // sh_link of each entry of `sections`
  std::vector<ElfSegment> segments;

  ~Impl() {
    if (elf != nullptr) elf_end(elf);
    if (map != nullptr) munmap(map, size);
  }

  std::span<const uint8_t> bytes() const { return {static_cast<const uint8_t*>(map), size}; }

  // The file range [offset, offset+size) if it lies inside the file.
  std::span<const uint8_t> FileRange(uint64_t offset, uint64_t len) const {
    if (offset > size || len > size - offset) return {};
    return bytes().subspan(offset, len);
  }

  std::optional<ElfSymbol> FindIn(uint32_t type, std::string_view name) const;
};

std::optional<ElfSymbol> ElfFile::Impl::FindIn(uint32_t type, std::string_view name) const {
  for (const ElfSection& s : sections) {
    if (s.type != type) continue;
    // Symbols and their string table are read straight from the mapping (bounds-checked), which
    // avoids libelf's per-call overhead on tables with 100k+ entries.
    auto table = FileRange(s.offset.value, s.size);
    const uint32_t link = section_links[static_cast<size_t>(&s - sections.data())];
    if (link == 0 || link > sections.size()) continue;
    const ElfSection& strsec = sections[link - 1];
    if (strsec.type == SHT_NOBITS) continue;
    auto strtab = FileRange(strsec.offset.value, strsec.size);
    const size_t count = table.size() / sizeof(Elf64_Sym);
    for (size_t i = 0; i < count; ++i) {
      Elf64_Sym sym;
      std::memcpy(&sym, table.data() + i * sizeof(Elf64_Sym), sizeof sym);
      if (sym.st_name == 0 || sym.st_shndx == SHN_UNDEF) continue;
      std::string_view sname = detail::CStringAt(strtab, sym.st_name);
      if (sname == name) return ElfSymbol{sname, ElfVaddr(sym.st_value), sym.st_size};
    }
  }
  return std::nullopt;
}

namespace {

struct Mapping {
  void* map = nullptr;
  size_t size = 0;
};

// Maps the regular file at `path` privately (PROT_WRITE: libelf may convert data in place; that
// must never reach the file, and copy-on-write costs nothing when it does not happen).
Result<Mapping> MapFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError(err, path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return MakeError(ErrorCode::kBadInput, path + ": not a regular file");
  }
  if (st.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
    ::close(fd);
    return MakeError(ErrorCode::kBadInput, path + ": not an ELF file (too small)");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  int map_err = errno;
  ::close(fd);
  if (map == MAP_FAILED) return ErrnoError(map_err, path);
  return Mapping{map, size};
}

// Only 64-bit little-endian files can be amd64 binaries; the rest is unsupported, not corrupt.
Status CheckIdent(const unsigned char* ident, const std::string& path) {
  if (std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return MakeError(ErrorCode::kBadInput, path + ": not an ELF file");
  }
  if (ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB) {
    return MakeError(ErrorCode::kUnsupported, path + ": not a 64-bit little-endian ELF file");
  }
  return Ok{};
}

Result<std::vector<ElfSegment>> ReadLoadSegments(Elf* elf, const std::string& path) {
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0) {
    return MakeError(ErrorCode::kBadInput, path + ": bad program headers: " + elf_errmsg(-1));
  }
  std::vector<ElfSegment> segments;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr) {
      return MakeError(ErrorCode::kBadInput, path + ": bad program header " + std::to_string(i));
    }
    if (ph.p_type != PT_LOAD) continue;
    segments.push_back(ElfSegment{ElfVaddr(ph.p_vaddr), FileOffset(ph.p_offset), ph.p_filesz,
                                  ph.p_memsz, ph.p_flags});
  }
  return segments;
}

// Section headers are optional (a file may have them removed); their absence is not an error.
Status ReadSections(Elf* elf, const std::string& path, std::vector<ElfSection>& sections,
                    std::vector<uint32_t>& links) {
  size_t shstrndx = 0;
  bool have_names = elf_getshdrstrndx(elf, &shstrndx) == 0;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) {
      return MakeError(ErrorCode::kBadInput, path + ": bad section header: " + elf_errmsg(-1));
    }
    const char* name = have_names ? elf_strptr(elf, shstrndx, sh.sh_name) : nullptr;
    sections.push_back(ElfSection{name != nullptr ? name : "", ElfVaddr(sh.sh_addr),
                                  FileOffset(sh.sh_offset), sh.sh_size, sh.sh_type, sh.sh_flags});
    links.push_back(sh.sh_link);
  }
  return Ok{};
}

}  // namespace

Result<std::unique_ptr<ElfFile>> ElfFile::Open(const std::string& path) {
  static std::once_flag version_once;
  std::call_once(version_once, [] { elf_version(EV_CURRENT); });

  auto impl = std::make_unique<Impl>();
  impl->path = path;
  auto mapping = MapFile(path);
  if (!mapping) return mapping.error();
  impl->map = mapping->map;
  impl->size = mapping->size;
  if (auto s = CheckIdent(static_cast<const unsigned char*>(impl->map), path); !s) return s.error();
  impl->elf = elf_memory(static_cast<char*>(impl->map), impl->size);
  if (impl->elf == nullptr || elf_kind(impl->elf) != ELF_K_ELF) {
    return MakeError(ErrorCode::kBadInput, path + ": not an ELF file: " + elf_errmsg(-1));
  }
  GElf_Ehdr ehdr;
  if (gelf_getehdr(impl->elf, &ehdr) == nullptr) {
    return MakeError(ErrorCode::kBadInput, path + ": bad ELF header: " + elf_errmsg(-1));
  }
  impl->machine = ehdr.e_machine;
  impl->pie = ehdr.e_type == ET_DYN;
  auto segments = ReadLoadSegments(impl->elf, path);
  if (!segments) return segments.error();
  impl->segments = std::move(*segments);
  if (auto s = ReadSections(impl->elf, path, impl->sections, impl->section_links); !s) {
    return s.error();
  }
  return std::unique_ptr<ElfFile>(new ElfFile(std::move(impl)));
}

ElfFile::ElfFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ElfFile::~ElfFile() = default;

const std::string& ElfFile::path() const { return impl_->path; }
uint16_t ElfFile::machine() const { return impl_->machine; }
bool ElfFile::is_pie() const { return impl_->pie; }
std::span<const uint8_t> ElfFile::bytes() const { return impl_->bytes(); }
const std::vector<ElfSection>& ElfFile::sections() const { return impl_->sections; }
const std::vector<ElfSegment>& ElfFile::load_segments() const { return impl_->segments; }

const ElfSection* ElfFile::FindSection(std::string_view name) const {
  for (const ElfSection& s : impl_->sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::span<const uint8_t> ElfFile::SectionData(const ElfSection& s) const {
  if (s.type == SHT_NOBITS) return {};
  return impl_->FileRange(s.offset.value, s.size);
}

std::optional<ElfSymbol> ElfFile::FindSymbol(std::string_view name) const {
  if (auto sym = impl_->FindIn(SHT_SYMTAB, name)) return sym;
  return impl_->FindIn(SHT_DYNSYM, name);
}

std::optional<FileOffset> ElfFile::ToFileOffset(ElfVaddr va) const {
  for (const ElfSegment& seg : impl_->segments) {
    if (va >= seg.vaddr && va.value - seg.vaddr.value < seg.filesz) {
      return FileOffset(seg.offset.value + (va.value - seg.vaddr.value));
    }
  }
  return std::nullopt;
}

std::span<const uint8_t> ElfFile::BytesAt(ElfVaddr va, uint64_t size) const {
  for (const ElfSegment& seg : impl_->segments) {
    if (va < seg.vaddr || va.value - seg.vaddr.value >= seg.filesz) continue;
    const uint64_t delta = va.value - seg.vaddr.value;
    if (size > seg.filesz - delta) return {};  // crosses the end of the file-backed part
    if (seg.offset.value > UINT64_MAX - delta) return {};
    return impl_->FileRange(seg.offset.value + delta, size);
  }
  return {};
}

}  // namespace goretain::symbols
