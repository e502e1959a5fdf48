// StatusLine: a single self-overwriting progress line on stderr while tracing, only when stderr is
// a terminal (scripts and CI logs stay clean).
#pragma once

#include <chrono>
#include <cstdint>

namespace goretain {

class StatusLine {
 public:
  StatusLine();
  ~StatusLine();  // clears the line
  // Redraws at most a few times per second: elapsed time, event rate since the last draw, drops.
  void Update(double elapsed_s, uint64_t events, uint64_t dropped);
  void Clear();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
  uint64_t last_events_ = 0;
};

}  // namespace goretain
