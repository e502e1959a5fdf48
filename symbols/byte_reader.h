// Bounds-checked little-endian reads from untrusted bytes (internal to goretain_symbols).
//
// Every function returns nullopt (or an empty view) instead of reading past the span, so parsers
// built on them cannot overrun a corrupt or truncated file.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace goretain::symbols::detail {

using Bytes = std::span<const uint8_t>;

template <typename T>
inline std::optional<T> ReadLE(Bytes data, uint64_t offset) {
  if (offset > data.size() || data.size() - offset < sizeof(T)) return std::nullopt;
  T v;
  std::memcpy(&v, data.data() + offset, sizeof(T));  // amd64 hosts and targets: little-endian
  return v;
}

inline std::optional<uint8_t> ReadU8(Bytes d, uint64_t off) { return ReadLE<uint8_t>(d, off); }
inline std::optional<uint32_t> ReadU32(Bytes d, uint64_t off) { return ReadLE<uint32_t>(d, off); }
inline std::optional<int32_t> ReadI32(Bytes d, uint64_t off) { return ReadLE<int32_t>(d, off); }
inline std::optional<uint64_t> ReadU64(Bytes d, uint64_t off) { return ReadLE<uint64_t>(d, off); }

// Unsigned LEB128 varint at *offset; advances *offset. nullopt if truncated or longer than 10
// bytes.
inline std::optional<uint64_t> ReadUvarint(Bytes data, uint64_t* offset) {
  uint64_t value = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (*offset >= data.size()) return std::nullopt;
    const uint8_t b = data[*offset];
    ++*offset;
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  return std::nullopt;
}

// The NUL-terminated string at `offset`; empty view if the terminator is not inside `data`.
inline std::string_view CStringAt(Bytes data, uint64_t offset) {
  if (offset >= data.size()) return {};
  const auto* begin = reinterpret_cast<const char*>(data.data() + offset);
  const void* nul = std::memchr(begin, 0, data.size() - offset);
  if (nul == nullptr) return {};
  return std::string_view(begin, static_cast<size_t>(static_cast<const char*>(nul) - begin));
}

// `len` bytes at `offset` as a view; empty if out of range.
inline Bytes SubBytes(Bytes data, uint64_t offset, uint64_t len) {
  if (offset > data.size() || len > data.size() - offset) return {};
  return data.subspan(offset, len);
}

}  // namespace goretain::symbols::detail
