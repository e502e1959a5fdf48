// control4_clear rebuilds maps the way leak8_globalswap does, without leaking:
//   - "swap": each round builds a local map and assigns it to a global (globalMap = temp), but
//     keeps no history: the previous map becomes garbage;
//   - "reuse": each round empties one long-lived map with a delete loop (Go 1.19 has no clear)
//     and refills it with that round's keys. A Go map never shrinks, so it keeps its buckets:
//     after the first round it allocates only the odd overflow bucket or same-size grow.
//
// Usage: control4_clear [-wait FILE] [-rate N] [-entries E] [-duration D]
// [-profile FILE -profile-after D] (other flags: goretain.test/targets/leakrun). Default 4
// rounds/s of E (default 1000) entries each.
//
// Markers ("want:" comments): <kind> control[-<what>] on the lines that allocate without
// leaking; no other allocation shares a marked line.
package main

import (
	"flag"
	"strconv"

	"goretain.test/targets/leakrun"
)

var (
	globalMap map[string]int // the current index; the previous one is dropped
	reused    map[string]int // emptied and refilled every round

	entries = flag.Int("entries", 1000, "entries per round")
	keys    []string
)

//go:noinline
func swap(round int) {
	temp := make(map[string]int) // want: map.make control
	for j := 0; j < *entries; j++ {
		temp[keys[j]] = j * round // want: map.grow control
	}
	globalMap = temp
}

//go:noinline
func refill(round int) {
	if reused == nil {
		reused = make(map[string]int) // want: map.make control-reuse
	}
	for k := range reused {
		delete(reused, k)
	}
	// Each round uses a different window of the keys, so the buckets fill differently.
	off := (round * 37) % *entries
	for j := 0; j < *entries; j++ {
		reused[keys[(off+j)%len(keys)]] = round // want: map.grow control-reuse
	}
}

//go:noinline
func rebuild(_, round int) {
	swap(round)
	refill(round)
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "control4_clear", Rate: 4, Op: rebuild, Setup: func() {
		for j := 0; j < 2**entries; j++ {
			keys = append(keys, "sku-"+strconv.Itoa(j))
		}
	}})
}
