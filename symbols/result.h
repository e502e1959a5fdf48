// Result<T>: the error model shared by symbols/ and userspace/.
//
// Library code returns Result<T> for every failure a caller can act on and never prints or exits.
// std::expected is C++23; this is the small subset we need on g++ 12.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace goretain {

enum class ErrorCode {
  kNotFound,        // a file, process or symbol does not exist
  kPermission,      // missing privileges (EPERM/EACCES)
  kBadInput,        // unreadable, corrupt or unsupported input file
  kNotGo,           // a valid ELF that is not a Go program
  kUnsupported,     // a Go version, architecture or kernel feature we do not handle
  kKernel,          // a BPF or perf syscall failed
  kIo,              // any other I/O failure
  kAborted,         // stopped before it completed: a stop signal, or the target went away
};

struct Error {
  ErrorCode code;
  std::string message;  // one line, no trailing period, names the object it is about
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace goretain
