// StatusLine: a single self-overwriting progress line on stderr while tracing, only when stderr is
// a terminal (scripts and CI logs stay clean).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace goretain {

class StatusLine {
 public:
  StatusLine();
  ~StatusLine();  // clears the line
  // Redraws at most a few times per second: elapsed time, event rate since the last draw, drops.
  void Update(double elapsed_s, uint64_t events, uint64_t dropped);
  // Says what goretain is doing (e.g. while planning probes), redrawn at most a few times per second.
  void Say(std::string_view what);
  void Clear();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
  uint64_t last_events_ = 0;
};

}  // namespace goretain
