// TopScreen: the terminal while `goretain top` runs. Takes it over with ncurses (the only file of
// goretain that talks to the terminal), draws the lines of top_text for the latest live report
// about once a second and at once after a key or a resize, and gives the terminal back on
// destruction. Keys: q quits; s cycles the sort (r, g, a pick one); k cycles the kind filter;
// l toggles leaks only. Main thread only: the trace session runs on another thread and only
// publishes reports into the LiveReport this screen reads.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "userspace/model/live_report.h"

struct screen;  // ncurses' SCREEN, kept out of this header

namespace goretain::tui {

struct TopSources {
  const LiveReport* live = nullptr;
  std::function<bool()> finished;        // the session ended on its own (target exit, signal)
  std::function<std::string()> last_log; // newest log message, or "" (shown above the help line)
  std::string target_hint;               // "pid 1234" or the command, until the first report
};

class TopScreen {
 public:
  // Starts ncurses on the terminal `in`/`out` (the caller checks they are terminals); nullptr if
  // ncurses cannot drive it (TERM unset or unknown to terminfo).
  static std::unique_ptr<TopScreen> Open(FILE* in, FILE* out);
  ~TopScreen();  // endwin: the terminal as it was
  TopScreen(const TopScreen&) = delete;
  TopScreen& operator=(const TopScreen&) = delete;

  // Runs the view until 'q' (returns true) or until `finished()` (returns false).
  bool Run(const TopSources& sources);
  // Replaces the log line with `message` and redraws (e.g. "stopping..." while the session ends).
  void Say(const std::string& message);

 private:
  TopScreen() = default;

  ::screen* screen_ = nullptr;
  bool unicode_ = false;  // the locale's codeset is UTF-8: Unicode sparkline
  bool colors_ = false;
};

}  // namespace goretain::tui
