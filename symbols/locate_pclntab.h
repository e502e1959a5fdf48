// Finding the pclntab inside an ELF file. Internal to goretain_symbols.
#pragma once

#include "symbols/elf_file.h"
#include "symbols/pclntab.h"
#include "symbols/result.h"

namespace goretain::symbols {

// Tries, in order: section `.gopclntab`, section `.data.rel.ro.gopclntab` (internally linked
// PIE), the address stored in moduledata (symbol or `.go.module`), then a scan of every PT_LOAD
// for a validated pcHeader. Errors: kNotGo (none found), kUnsupported/kBadInput (found but
// unusable; the first such error is reported).
Result<Pclntab> LocatePclntab(const ElfFile& elf);

}  // namespace goretain::symbols
