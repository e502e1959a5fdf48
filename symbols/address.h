// Distinct types for the three address spaces a tracer mixes up most easily.
//
//   ElfVaddr     a virtual address as the ELF file states it (p_vaddr, st_value, pclntab PCs)
//   FileOffset   a byte offset into the file (what the kernel's uprobe API wants)
//   ProcessVaddr a virtual address in a live process (ElfVaddr + load bias for PIE)
//
// They do not convert into each other implicitly; the ELF program headers (ElfFile) or the
// process mappings (userspace/) do the conversion.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace goretain {

template <typename Tag>
struct Address {
  uint64_t value = 0;

  constexpr Address() = default;
  constexpr explicit Address(uint64_t v) : value(v) {}
  constexpr auto operator<=>(const Address&) const = default;
  constexpr Address operator+(uint64_t delta) const { return Address(value + delta); }
  constexpr uint64_t operator-(Address other) const { return value - other.value; }
};

struct ElfVaddrTag {};
struct FileOffsetTag {};
struct ProcessVaddrTag {};

using ElfVaddr = Address<ElfVaddrTag>;
using FileOffset = Address<FileOffsetTag>;
using ProcessVaddr = Address<ProcessVaddrTag>;

}  // namespace goretain

template <typename Tag>
struct std::hash<goretain::Address<Tag>> {
  size_t operator()(const goretain::Address<Tag>& a) const noexcept {
    return std::hash<uint64_t>{}(a.value);
  }
};
