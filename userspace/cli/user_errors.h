// The one writer of `goretain: error:` lines, and the hint each error code gets.
//
// Contract: every error a user sees is one line on stderr, "goretain: error: MESSAGE (hint: ...)",
// and its exit code comes from exit_codes.h. Nothing else in goretain writes such a line.
#pragma once

#include <ostream>
#include <string_view>

#include "symbols/result.h"

namespace goretain {

// Writes `goretain: error: MESSAGE` to `err` (stderr by default).
void WriteErrorLine(std::string_view message, std::ostream* err = nullptr);

// Writes the error's line with the hint its code calls for (unless the message has one already)
// and returns the exit code for it.
int ReportError(const Error& e);

}  // namespace goretain
