#include "userspace/output/html_icicle.h"

#include <fmt/format.h>

#include <functional>
#include <iterator>

#include "userspace/output/html_escape.h"
#include "userspace/output/icicle.h"
#include "userspace/output/table.h"

namespace goretain {
namespace {

constexpr int kRowPx = 18;
// Boxes narrower than this share of the width are left out: they could not show a name, and
// this bounds the page (about 1 / kMinWidth boxes per level) however many call sites there are.
constexpr double kMinWidth = 0.002;

// The function's name without its package path ("a/b/c.(*T).F" -> "c.(*T).F").
std::string_view ShortFunction(std::string_view f) {
  const size_t paren = f.find('(');
  const size_t slash = f.rfind('/', paren == std::string_view::npos ? f.size() : paren);
  return slash == std::string_view::npos ? f : f.substr(slash + 1);
}

// A warm hue per package (stable from page to page); leaking frames are red.
std::string Color(const IcicleNode& n) {
  if (n.leaking) return "hsl(4,78%,72%)";
  const std::string_view f = n.frame.function;
  const size_t paren = f.find('(');
  const std::string_view head = f.substr(0, paren == std::string_view::npos ? f.size() : paren);
  const size_t dot = head.rfind('.');
  const std::string_view pkg = head.substr(0, dot == std::string_view::npos ? head.size() : dot);
  const size_t h = std::hash<std::string_view>{}(pkg);
  return fmt::format("hsl({},{}%,{}%)", 22 + h % 34, 60 + (h >> 8) % 25, 70 + (h >> 16) % 12);
}

void Graph(std::string& out, const IcicleLayout& layout, const char* id, const char* what,
           bool hidden) {
  auto o = std::back_inserter(out);
  fmt::format_to(o, R"(<div class="icicle" id="{}" data-nodes="{}" style="height:{}px"{}>)", id,
                 layout.nodes.size(), std::max(1, layout.levels) * kRowPx + 2,
                 hidden ? " hidden" : "");
  if (layout.nodes.empty()) {
    fmt::format_to(o, R"(<p class="empty">&nbsp;No {} bytes to show.</p>)", what);
  }
  for (const IcicleNode& n : layout.nodes) {
    std::string title = fmt::format("{}\n{}:{}\n{} {} ({:.1f}%)", n.frame.function, n.frame.file,
                                    n.frame.line, HumanBytes(n.bytes), what, n.width * 100);
    fmt::format_to(o,
                   R"(<div{} data-x="{:.6f}" data-w="{:.6f}" data-d="{}" )"
                   R"(style="left:{:.3f}%;width:{:.3f}%;top:{}px;background:{}" title=")",
                   n.leaking ? R"( class="leak")" : "", n.x, n.width, n.depth, n.x * 100,
                   n.width * 100, n.depth * kRowPx, Color(n));
    AppendHtmlEscaped(out, title);
    out += "\">";
    AppendHtmlEscaped(out, ShortFunction(n.frame.function));
    out += "</div>";
  }
  out += "</div>";
}

}  // namespace

void IcicleSection(std::string& out, const Report& r) {
  const IcicleLayouts both = LayoutIcicles(r.callsites, kMinWidth);
  const IcicleLayout& retained = both.retained;
  const IcicleLayout& allocated = both.allocated;
  const bool show_retained = retained.total_bytes > 0 || allocated.total_bytes == 0;
  auto o = std::back_inserter(out);
  out += R"(<section id="flame"><h2>By call stack</h2>)";
  fmt::format_to(o,
                 R"(<p class="toggle"><button data-show="icicle-retained"{}>retained ({})</button> )"
                 R"(<button data-show="icicle-allocated"{}>allocated ({})</button> )"
                 R"(<button data-unzoom>reset zoom</button> )"
                 R"(<span class="muted">outermost frame on top; width is bytes; hover for details; )"
                 R"(click to zoom; red: on a leaking line's stack</span></p>)",
                 show_retained ? R"( class="on")" : "", HumanBytes(retained.total_bytes),
                 show_retained ? "" : R"( class="on")", HumanBytes(allocated.total_bytes));
  Graph(out, retained, "icicle-retained", "retained", !show_retained);
  Graph(out, allocated, "icicle-allocated", "allocated", show_retained);
  out += "</section>";
}

}  // namespace goretain
