// leak3_tracelog leaks the way a per-trace log buffer without a TTL or a bound does: log lines are
// buffered per trace ID (map[traceID][]string) and each trace gets an attribute map
// (map[traceID]map[string]string), "to be flushed when the trace ends" — which never happens.
//
// Usage: leak3_tracelog [-wait FILE] [-rate N] [-lines-per-trace K] [-duration D]
// [-profile FILE -profile-after D] (other flags: goretain.test/targets/leakrun). Each operation
// logs one line; a new trace starts every K (default 8) lines. Default 2000 operations/s.
//
// Markers ("want:" comments): <kind> leak[-<what>] on every line whose allocations stay
// reachable; no other allocation shares a marked line. A trailing "steps": a container that
// grows by doubling, so what it retains rises in rare steps (it may go unflagged for a while).
// The two indexes grow geometrically (plus overflow buckets), so their map.grow events get rarer
// over time: trace from the start (-wait) to see several.
package main

import (
	"flag"
	"fmt"

	"goretain.test/targets/leakrun"
)

type traceID string

var (
	traceLogs  = map[traceID][]string{}          // LEAK: never flushed
	traceAttrs = map[traceID]map[string]string{} // LEAK: never deleted

	linesPerTrace = flag.Int("lines-per-trace", 8, "log lines per trace ID")
)

// logLine buffers one line for its trace.
//
//go:noinline
func logLine(id traceID, line string) {
	buf := traceLogs[id]
	buf = append(buf, line) // want: slice.grow leak
	traceLogs[id] = buf     // want: map.grow leak steps
}

// attrs returns the trace's attribute map, creating it on first use.
//
//go:noinline
func attrs(id traceID) map[string]string {
	a, ok := traceAttrs[id]
	if !ok {
		a = make(map[string]string, 12) // want: map.make leak
		traceAttrs[id] = a              // want: map.grow leak-attrs steps
	}
	return a
}

//go:noinline
func handle(_, i int) {
	k := *linesPerTrace
	if k < 1 {
		k = 1
	}
	id := traceID(fmt.Sprintf("%016x", uint64(i/k)*0x9e3779b97f4a7c15))
	a := attrs(id)
	a["span."+fmt.Sprint(i%k)] = "ok"
	logLine(id, fmt.Sprintf("trace=%s step=%d status=ok latency_us=%d", id, i%k, 100+i%900))
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "leak3_tracelog", Rate: 2000, Op: handle})
}
