// `goretain symbols BINARY [--pc ADDR...] [--func NAME...]`: inspect a Go binary's symbols.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace goretain {

// Prints the Go version, main module and function count of `binary`; resolves each PC (hex) to
// function, file:line and inlined frames; prints entry, end and size of each named function.
// Returns 0, or 2 with one `goretain: error:` line on `err` for bad input.
int RunSymbolsCommand(const std::string& binary, const std::vector<std::string>& pcs,
                      const std::vector<std::string>& funcs, std::ostream& out, std::ostream& err);

}  // namespace goretain
