// leak1_maplist leaks the way an in-memory event/audit log does: every operation builds a
// map[string]interface{} and appends it to a global []map[string]interface{} that nothing ever
// truncates.
//
// Usage: leak1_maplist [-wait FILE] [-rate N] [-duration D] [-profile FILE -profile-after D]
// (all flags: goretain.test/targets/leakrun). Default 1000 operations/s, about 0.4 MB/s retained.
//
// Markers ("want:" comments): <kind> leak[-<what>] on every line whose allocations stay
// reachable; no other allocation shares a marked line. A trailing "steps": a container that
// grows by doubling, so what it retains rises in rare steps (it may go unflagged for a while).
// The events slice grows geometrically, so its slice.grow events get rarer over time: trace from
// the start (-wait) to see several.
package main

import (
	"time"

	"goretain.test/targets/leakrun"
)

var events []map[string]interface{} // LEAK: appended to forever

var paths = []string{"/api/orders", "/api/users", "/api/cart", "/healthz"}

//go:noinline
func record(_, i int) {
	ev := make(map[string]interface{}) // want: map.make leak
	ev["status"] = 200                 // want: map.grow leak
	ev["path"] = paths[i%len(paths)]
	ev["at"] = time.Now()
	ev["bytes"] = i
	events = append(events, ev) // want: slice.grow leak steps
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "leak1_maplist", Rate: 1000, Op: record})
}
