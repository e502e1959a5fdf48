#include "userspace/targets/go_check.h"

#include "symbols/elf_file.h"

namespace goretain::targets {

bool LooksLikeGo(const std::string& path) {
  auto elf = symbols::ElfFile::Open(path);
  if (!elf) return false;
  for (const char* name : {".go.buildinfo", ".note.go.buildid", ".gopclntab", ".data.rel.ro.gopclntab"}) {
    if ((*elf)->FindSection(name) != nullptr) return true;
  }
  return false;
}

}  // namespace goretain::targets
