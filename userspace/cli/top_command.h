// `goretain top`: the live view. Runs a trace session on a worker thread with a LiveReport, and the
// terminal view (tui/TopScreen) on the calling thread until 'q', SIGINT/SIGTERM or the target's exit.
#pragma once

#include "userspace/session/trace_options.h"

namespace goretain {

// Returns the exit code. stdout and stdin must be terminals: otherwise one error line with a hint
// (use trace mode's --interval) and kExitBadInput, before anything is attached. While the view is
// up nothing else writes to the terminal: log messages go to an in-memory ring (the newest is
// shown above the help line) and stderr is pointed at /dev/null (libbpf, the status line). After
// the view: one summary line on stderr, or the session's error line.
int RunTopCommand(TraceOptions options);

}  // namespace goretain
