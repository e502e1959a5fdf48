// leak5_syncmap leaks the way a concurrent session store does: several goroutines record events
// in a sync.Map from session ID to []map[string]interface{} (the session's events), and sessions
// are never removed.
//
// Usage: leak5_syncmap [-wait FILE] [-rate N] [-workers W] [-events-per-session K] [-duration D]
// [-profile FILE -profile-after D] (other flags: goretain.test/targets/leakrun). Each operation
// records one event; W (default 4) goroutines share the rate (default 1000 operations/s), each
// with its own sessions, K (default 16) events per session.
//
// Markers ("want:" comments): <kind> leak[-<what>] on every line whose allocations stay
// reachable; no other allocation shares a marked line. The
// sync.Map's own internal map grows too, at call sites inside package sync (not marked).
package main

import (
	"flag"
	"strconv"
	"sync"
	"time"

	"goretain.test/targets/leakrun"
)

type event = map[string]interface{}

var (
	sessions sync.Map // LEAK: session ID → []event, never deleted

	eventsPerSession = flag.Int("events-per-session", 16, "events recorded per session")
)

//go:noinline
func record(w, i int) {
	k := *eventsPerSession
	if k < 1 {
		k = 1
	}
	id := "session-" + strconv.Itoa(w) + "-" + strconv.Itoa(i/k)
	ev := make(event, 10) // want: map.make leak
	ev["worker"] = w
	ev["seq"] = i
	ev["kind"] = "click"
	ev["at"] = time.Now()
	var list []event
	if v, ok := sessions.Load(id); ok {
		list = v.([]event)
	}
	list = append(list, ev) // want: slice.grow leak
	sessions.Store(id, list)
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "leak5_syncmap", Rate: 1000, Workers: 4, Op: record})
}
