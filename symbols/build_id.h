// The build ID of an ELF file, as profilers match a profile to its binary.
#pragma once

#include <string>

#include "symbols/elf_file.h"

namespace goretain::symbols {

// The GNU build ID (`.note.gnu.build-id`, NT_GNU_BUILD_ID) in lowercase hex; else Go's build ID
// (`.note.go.buildid`, the "actionID/contentID" string `go tool buildid` prints); else "".
// Go's linker writes a GNU note only when asked (-ldflags=-B, or external linking).
std::string ReadBuildId(const ElfFile& elf);

}  // namespace goretain::symbols
