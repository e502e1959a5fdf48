// Reading the Go build information blob (`.go.buildinfo`). Internal to goretain_symbols.
#pragma once

#include <optional>

#include "symbols/elf_file.h"
#include "symbols/go_binary.h"

namespace goretain::symbols {

// The build info of `elf`: from the `.go.buildinfo` section, else from a 16-byte-aligned
// "\xff Go buildinf:" header in any writable PT_LOAD, else (version only) from the
// runtime.buildVersion string. nullopt if there is none or it is corrupt (build info is optional:
// a Go binary without it can still be symbolized).
std::optional<BuildInfo> ReadBuildInfo(const ElfFile& elf);

// Extracts `path` and `mod` from a modinfo string (with or without its 16-byte sentinels).
void ParseModInfo(std::string_view modinfo, BuildInfo* info);

}  // namespace goretain::symbols
