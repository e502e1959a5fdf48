// The attach step that reads the target's own heap profile (issue 12): what it retained before
// goretain came (its runtime's profile buckets as of its last GC, as rows marked before_attach),
// its live runtime.MemProfileRate, and, in --sample mode, whether the runtime samples at all
// (--enable-sampling sets the rate once when it does not).
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include "symbols/result.h"
#include "userspace/goruntime/traced_binary.h"
#include "userspace/model/report.h"
#include "userspace/session/trace_options.h"

namespace goretain {

struct ProfileAtAttach {
  std::vector<CallsiteRow> rows;  // only before_attach figures
  BeforeAttachSource source;
  // runtime.MemProfileRate now: as read, or as --enable-sampling just set it.
  int64_t rate_now = 0;
};

// For a running process. An error that should stop the session (--sample without sampling and
// without --enable-sampling: kBadInput with a hint; a failed --enable-sampling write) is returned
// as such; anything else that fails (an unsupported layout, an unreadable list) only warns and
// gives nullopt: tracing goes on without before-attach figures.
Result<std::optional<ProfileAtAttach>> ReadProfileAtAttach(pid_t pid, const TracedBinary& traced,
                                                           uint64_t load_bias,
                                                           const TraceOptions& opts);

// For a command stopped at execve (no runtime yet): in --sample mode, refuses a binary that
// cannot write a heap profile (its runtime will run with MemProfileRate = 0).
Status CheckSamplingAtLaunch(const TracedBinary& traced, const TraceOptions& opts);

}  // namespace goretain
