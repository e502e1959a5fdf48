// Escaping for HTML text and attribute values. Everything in a page that comes from the target
// (function names, files, Go type names, the executable's path) goes through HtmlEscape: a Go
// type can be named anything, and the page must stay the page goretain wrote.
#pragma once

#include <string>
#include <string_view>

namespace goretain {

// `text` with & < > " ' replaced by character references: safe as element text and inside a
// double- or single-quoted attribute value. Control characters other than tab and newline
// become U+FFFD (they have no business in a page, and some are invalid in HTML).
void AppendHtmlEscaped(std::string& out, std::string_view text);
std::string HtmlEscape(std::string_view text);

}  // namespace goretain
