// RenderCache: one rendered body per published report. Scrapes of the same report (Prometheus
// and a burst of clients, say) render it once; the others wait for that render and share its
// bytes. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "userspace/model/report.h"

namespace goretain {

class RenderCache {
 public:
  using Render = std::function<std::string(const Report&)>;
  explicit RenderCache(Render render) : render_(std::move(render)) {}

  std::shared_ptr<const std::string> Get(const std::shared_ptr<const Report>& report) {
    std::lock_guard lock(mu_);
    if (report != source_ || !body_) {
      body_ = std::make_shared<const std::string>(render_(*report));
      source_ = report;
    }
    return body_;
  }
  // A body rendered for one request (a filtered report): the cache is neither read nor changed.
  std::string RenderUncached(const Report& report) const { return render_(report); }

 private:
  Render render_;
  std::mutex mu_;
  std::shared_ptr<const Report> source_;
  std::shared_ptr<const std::string> body_;
};

}  // namespace goretain
