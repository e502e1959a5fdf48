// leak8_globalswap leaks the way a "rebuild the index, swap it in, keep the old one for rollback"
// loop does: each operation builds a large local map (one entry more than the previous round's),
// assigns it to a global (globalMap = temp), and appends the previous global to a history slice
// that is never trimmed, so every round's map stays reachable.
//
// Usage: leak8_globalswap [-wait FILE] [-rate N] [-entries E] [-duration D]
// [-profile FILE -profile-after D] (other flags: goretain.test/targets/leakrun). Default 4
// rebuilds/s of E (default 1000) entries plus one per round: about 0.3 MB/s retained.
//
// Markers ("want:" comments): <kind> leak[-<what>] on every line whose allocations stay
// reachable; no other allocation shares a marked line. A trailing "steps": a container that
// grows by doubling, so what it retains rises in rare steps (it may go unflagged for a while).
// The map.grow line also allocates the intermediate bucket arrays of each map's growth, which
// are garbage once the map has grown past them: only part of its bytes are retained.
package main

import (
	"flag"
	"strconv"

	"goretain.test/targets/leakrun"
)

var (
	globalMap map[string]int   // the current index
	history   []map[string]int // LEAK: every previous index, "for rollback"

	entries = flag.Int("entries", 1000, "entries in the first round's map (each round adds one)")
	keys    []string
)

// makeKeys makes the keys up to the n-th once: all rounds share them. (They grow by one per
// round too, so this is a small leak of its own.)
//
//go:noinline
func makeKeys(n int) {
	for len(keys) < n {
		k := "sku-" + strconv.Itoa(len(keys))
		keys = append(keys, k) // want: slice.grow leak-keys steps
	}
}

//go:noinline
func rebuild(_, round int) {
	n := *entries + round
	makeKeys(n)
	temp := make(map[string]int) // want: map.make leak
	for j := 0; j < n; j++ {
		temp[keys[j]] = j * round // want: map.grow leak
	}
	if globalMap != nil {
		history = append(history, globalMap) // want: slice.grow leak steps
	}
	globalMap = temp
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "leak8_globalswap", Rate: 4, Op: rebuild})
}
