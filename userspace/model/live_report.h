// LiveReport: the latest report of a running trace, handed from the session's event loop to readers
// on other threads (the HTTP endpoint, the live view). The event loop publishes a fresh report about
// once a second (TraceOptions::live); a reader takes a shared pointer to an immutable report and
// renders it on its own thread, so no reader ever holds the event loop up, and a slow reader
// never sees a half-built report. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "userspace/model/report.h"

namespace goretain {

class LiveReport {
 public:
  void Publish(std::shared_ptr<const Report> report) {
    std::lock_guard lock(mu_);
    latest_ = std::move(report);
    ++generation_;
  }
  // nullptr until the first report (the probes are not live yet).
  std::shared_ptr<const Report> Latest() const {
    std::lock_guard lock(mu_);
    return latest_;
  }
  // Counts publications: a reader that saw generation N knows whether anything is new.
  uint64_t generation() const {
    std::lock_guard lock(mu_);
    return generation_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Report> latest_;
  uint64_t generation_ = 0;
};

}  // namespace goretain
