// Locating and reading runtime.firstmoduledata. Internal to goretain_symbols.
//
// The moduledata ties the pclntab to the rest of the image: the start of text (needed in 1.26+
// where the pclntab stores textStart as 0), the type descriptors (types..etypes, for type names)
// and gofunc (the base of 1.18+ FUNCDATA offsets, for inline trees).
#pragma once

#include <cstdint>
#include <optional>

#include "symbols/address.h"
#include "symbols/elf_file.h"
#include "symbols/go_binary.h"
#include "symbols/pclntab.h"

namespace goretain::symbols {

struct ModuleData {
  ElfVaddr addr;
  uint64_t text = 0;  // moduledata.text: the start of Go text
  uint64_t etext = 0;
  uint64_t types = 0;  // [types, etypes): runtime type descriptors and their names
  uint64_t etypes = 0;
  uint64_t gofunc = 0;  // base of FUNCDATA offsets (1.18+); 0 before 1.18
};

// Where moduledata claims the pclntab is, without validating it (the runtime.firstmoduledata
// symbol or the 1.26+ `.go.module` section). For binaries whose pclntab has no section.
std::optional<ElfVaddr> PcHeaderFromModuleData(const ElfFile& elf);

// Finds the moduledata that points at `tab`: by symbol, by `.go.module`, else by scanning the
// writable segments for a word equal to the pclntab address and validating the candidate.
// `version` (from build info; major 0 if unknown) selects the field layout.
std::optional<ModuleData> FindModuleData(const ElfFile& elf, const Pclntab& tab,
                                         const GoVersion& version);

}  // namespace goretain::symbols
