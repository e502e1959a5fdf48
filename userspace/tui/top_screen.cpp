#include "userspace/tui/top_screen.h"

#include <langinfo.h>
#include <ncurses.h>

#include <chrono>
#include <clocale>
#include <cstring>
#include <memory>

#include "userspace/tui/top_model.h"
#include "userspace/tui/top_text.h"

namespace goretain::tui {
namespace {

constexpr int kLeakPair = 1;
constexpr int kKeyWaitMs = 100;  // how often the loop looks at the keys and the session
constexpr auto kRedrawPeriod = std::chrono::seconds(1);

void PutLine(int y, const std::string& text, attr_t attrs) {
  if (y < 0 || y >= LINES) return;
  attron(attrs);
  mvaddstr(y, 0, FitWidth(text, static_cast<size_t>(COLS)).c_str());
  attroff(attrs);
}

// Applies a key to the view; returns false for keys that change nothing.
bool ApplyKey(int ch, ViewState& state) {
  switch (ch) {
    case 's': case 'S': state.sort = NextSort(state.sort); return true;
    case 'r': case 'R': state.sort = SortKey::kRetained; return true;
    case 'g': case 'G': state.sort = SortKey::kGrowth; return true;
    case 'a': case 'A': state.sort = SortKey::kAllocBytes; return true;
    case 'k': case 'K': state.kind = NextKindFilter(state.kind); return true;
    case 'l': case 'L': state.leaks_only = !state.leaks_only; return true;
    case KEY_RESIZE: return true;
    default: return false;
  }
}

// The whole screen: header, column titles, as many rows as fit, then status, log and help lines.
void Draw(const TopScreenText& text, const std::string& log, bool colors) {
  erase();
  int y = 0;
  for (const std::string& line : text.header) PutLine(y++, line, A_BOLD);
  y++;
  PutLine(y++, text.columns, A_REVERSE);
  const int rows_end = LINES - 3;  // status, log, help below
  const attr_t leak_attrs = A_BOLD | (colors ? COLOR_PAIR(kLeakPair) : A_NORMAL);
  for (size_t i = 0; i < text.rows.size() && y < rows_end; i++) {
    PutLine(y++, text.rows[i], text.row_leaking[i] ? leak_attrs : A_NORMAL);
  }
  PutLine(LINES - 3, text.status, A_NORMAL);
  PutLine(LINES - 2, log, A_DIM);
  PutLine(LINES - 1, text.help, A_REVERSE);
  refresh();
}

}  // namespace

std::unique_ptr<TopScreen> TopScreen::Open(FILE* in, FILE* out) {
  // Only the character type: number formats elsewhere in the process stay "C".
  std::setlocale(LC_CTYPE, "");
  std::unique_ptr<TopScreen> s(new TopScreen());
  s->unicode_ = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  s->screen_ = newterm(nullptr, out, in);
  if (!s->screen_) return nullptr;
  set_term(s->screen_);
  cbreak();  // keys at once; Ctrl-C still raises SIGINT, which stops the session cleanly
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  timeout(kKeyWaitMs);
  if (has_colors()) {
    start_color();
    use_default_colors();
    init_pair(kLeakPair, COLOR_RED, -1);
    s->colors_ = true;
  }
  return s;
}

TopScreen::~TopScreen() {
  if (!screen_) return;
  endwin();
  delscreen(screen_);
}

bool TopScreen::Run(const TopSources& sources) {
  ViewState state;
  LiveHistory history;
  std::shared_ptr<const Report> report;
  uint64_t seen_generation = 0;
  auto next_draw = std::chrono::steady_clock::now();
  while (!sources.finished()) {
    const int ch = getch();
    if (ch == 'q' || ch == 'Q') return true;
    bool redraw = ApplyKey(ch, state);
    if (const uint64_t generation = sources.live->generation(); generation != seen_generation) {
      seen_generation = generation;
      report = sources.live->Latest();
      if (report) history.Observe(*report);
      redraw = true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (redraw || now >= next_draw) {
      const TopScreenText text = RenderTop(report.get(), history, state, static_cast<size_t>(COLS),
                                           unicode_, sources.target_hint);
      Draw(text, sources.last_log ? sources.last_log() : "", colors_);
      next_draw = now + kRedrawPeriod;
    }
  }
  return false;
}

void TopScreen::Say(const std::string& message) {
  move(LINES - 2, 0);
  clrtoeol();
  PutLine(LINES - 2, message, A_BOLD);
  refresh();
}

}  // namespace goretain::tui
