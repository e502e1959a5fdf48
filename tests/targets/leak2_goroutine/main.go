// leak2_goroutine leaks the way a per-request goroutine that never exits does: each operation
// makes a session map and starts a goroutine whose closure captures it and that ranges over an
// updates channel nobody ever sends on or closes. The goroutine blocks forever and, because it
// would write to the map after the receive, the map stays reachable from its stack.
//
// Usage: leak2_goroutine [-wait FILE] [-rate N] [-duration D] [-profile FILE -profile-after D]
// (all flags: goretain.test/targets/leakrun). Default 300 operations/s: about 0.3 MB/s retained at
// the marked line, plus per operation a closure, a channel and a goroutine stack (not marked: no
// map or slice allocation path).
//
// Markers ("want:" comments): <kind> leak[-<what>] on every line whose allocations stay
// reachable; no other allocation shares a marked line.
// The go statement's line also gets slice.grow events in goretain's report, unmarked: the
// runtime's list of all goroutines (allgs) growing, on the system stack, attributed to the first
// frame outside the runtime. The runtime's own heap profile does not attribute them there.
package main

import "goretain.test/targets/leakrun"

type update struct {
	key string
	val int
}

//go:noinline
func handle(_, i int) {
	session := make(map[string]int, 16) // want: map.make leak
	session["request"] = i
	session["user"] = i % 97
	updates := make(chan update) // the handler returns without ever sending or closing
	go func() {
		for u := range updates {
			session[u.key] = u.val
		}
	}()
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "leak2_goroutine", Rate: 300, Op: handle})
}
