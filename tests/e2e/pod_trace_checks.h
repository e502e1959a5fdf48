// What a `--pod NS/NAME` trace of one container shows, checked the same way whichever runtime
// started the container (runc_pod_test: runc with a hand-written bundle; containerd_test: a
// private containerd through its shim).
#pragma once

#include <sys/types.h>

#include <string>

#include "harness.h"

namespace e2e {

// `gr` traces pod `pod` (namespace goretain-e2e) and has attached; the container `cid` runs
// tests/targets/counts (-wait GATE -hint 210 -small 0 -append 0) as host PID `pid`, PID 1 in its
// namespace. Checks goretain's attach line, opens `gate`, stops goretain once the process has
// exited, and checks its one report: that process alone, /counts, `labels` on the target and on
// the hint line's row, which made exactly 210 maps.
void ExpectCountsContainerTraced(Process& gr, const std::string& pod, const std::string& cid,
                                 pid_t pid, const fs::path& gate, const json& labels);

}  // namespace e2e
