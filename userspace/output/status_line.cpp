#include "userspace/output/status_line.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace goretain {

StatusLine::StatusLine() : enabled_(isatty(STDERR_FILENO) == 1) {
  last_draw_ = std::chrono::steady_clock::now();
}

StatusLine::~StatusLine() { Clear(); }

void StatusLine::Update(double elapsed_s, uint64_t events, uint64_t dropped) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since < 0.5) return;
  const double rate = static_cast<double>(events - last_events_) / since;
  fmt::print(stderr, "\r\033[Kgoretain: {:.0f}s  {} events  {:.0f} events/s  {} dropped", elapsed_s,
             events, rate, dropped);
  std::fflush(stderr);
  drawn_ = true;
  last_draw_ = now;
  last_events_ = events;
}

void StatusLine::Say(std::string_view what) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && std::chrono::duration<double>(now - last_draw_).count() < 0.25) return;
  fmt::print(stderr, "\r\033[Kgoretain: {}", what);
  std::fflush(stderr);
  drawn_ = true;
  last_draw_ = now;
}

void StatusLine::Clear() {
  if (enabled_ && drawn_) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace goretain
