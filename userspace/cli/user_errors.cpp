#include "userspace/cli/user_errors.h"

#include <iostream>
#include <string>

#include "userspace/cli/exit_codes.h"

namespace goretain {
namespace {

const char* HintFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return " (hint: check the PID with 'ps -p PID' or the command's path)";
    case ErrorCode::kKernel: return " (hint: rerun with -v to see the kernel's log)";
    case ErrorCode::kIo: return " (hint: rerun with -v for details)";
    default: return "";
  }
}

}  // namespace

void WriteErrorLine(std::string_view message, std::ostream* err) {
  std::ostream& out = err ? *err : std::cerr;
  out << "goretain: error: " << message << "\n";
  out.flush();
}

int ReportError(const Error& e) {
  const bool has_hint = e.message.find("hint:") != std::string::npos;
  WriteErrorLine(e.message + (has_hint ? "" : HintFor(e.code)));
  return ExitCodeFor(e.code);
}

}  // namespace goretain
