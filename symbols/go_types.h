// Type names from Go runtime type descriptors. Internal to goretain_symbols.
#pragma once

#include <optional>
#include <string>

#include "symbols/address.h"
#include "symbols/elf_file.h"
#include "symbols/moduledata.h"

namespace goretain::symbols {

// The name of the `_type` / `abi.Type` at `type` (which must lie in [types, etypes) of `md`):
// `str` (nameOff, int32 @40) locates a Go name at types+str: a flags byte, then the length
// (uvarint since 1.17, big-endian u16 before) and the bytes. With TFlagExtraStar (tflag @20,
// bit value 2) the stored name has a '*' prefix that is not part of the type's name.
// nullopt if anything is out of range.
std::optional<std::string> ReadTypeName(const ElfFile& elf, const ModuleData& md, ElfVaddr type,
                                        bool varint_lengths);

}  // namespace goretain::symbols
