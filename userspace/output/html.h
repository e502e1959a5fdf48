// The HTML report: one self-contained page (style, script and SVG inline; it loads nothing) for
// `--format html -o FILE` and for the HTTP endpoint's `/`. Sections, in order: the targets and the
// run summary; the leak suspects (call site, kind, type, retained now, growth, and a sparkline of
// retained bytes over the whole trace); an icicle graph of retained (or allocated) bytes by call
// stack; every call site in a table sortable by its headers, with allocated-vs-retained bars.
// Every string from the target is escaped (html_escape.h).
#pragma once

#include <string>

#include "userspace/model/report.h"

namespace goretain {

// The whole page. Pure and thread-safe (a reader of LiveReport may call it on its own thread);
// linear in the rows: about 1 KiB per call site, plus the sparklines of the leak suspects.
std::string RenderHtml(const Report& report);

// How the page is served. `live`: the HTTP endpoint's `/` while tracing: the page reloads itself
// every `refresh_s` seconds (the sort chosen with #sort= survives, it is in the URL) and links the
// endpoint's other routes.
struct HtmlPage {
  bool live = false;
  int refresh_s = 5;
};
std::string RenderHtml(const Report& report, const HtmlPage& page);

}  // namespace goretain
