// traps provokes, one at a time, the situations in which judging an object alive or dead from the
// runtime's own heap metadata, read from outside while the program runs, can go wrong. goretain
// --retained must still report at every marked line what the runtime's exact heap profile
// (MemProfileRate = 1) says the line holds.
//
// Usage: traps -trap NAME [-wait FILE] [-rate N] [-duration D] [-profile FILE -profile-after D]
// [-freeze] (other flags: goretain.test/targets/leakrun; default 1000 operations/s). NAME:
//
//	reuse       most objects die at once and their slots are reused by the next allocations of the
//	            same size class; one in 8 is kept (a reused slot is not the old object)
//	large       objects over 32 KiB, each in its own span, most dropped: their spans are freed and
//	            reused for the next large objects
//	respan      phases of small objects and of 2 KiB objects, each phase dropping the previous
//	            one: whole spans are freed and their pages reused for the other size class
//	oldbuckets  a long-lived map grows for ever (restarted at 100,000 keys): every growth leaves
//	            the previous bucket array garbage once evacuated
//	sweep       a small kept object per operation amid 1 MiB of garbage: GC cycles come many
//	            times per second, so spans are often read while the sweeper works on them
//
// Markers ("want:" comments): <kind> trap-<name>[-<what>] on every line allocating in that trap.
package main

import (
	"flag"
	"fmt"
	"os"

	"goretain.test/targets/leakrun"
)

var (
	trap = flag.String("trap", "reuse", "reuse, large, respan, oldbuckets or sweep")

	kept    [][]byte // what reuse, large and sweep keep (bounded: a ring, see keep)
	ring    = 256    // kept's bound: full within a few seconds
	nkept   int      // objects kept so far
	phase   [][]byte // respan: the current phase's objects
	grown   = map[int]int{}
	garbage []byte
)

// keep holds b in a ring of the last `ring` objects kept: older ones die, so the heap stays
// bounded and their spans are swept and reused.
//
//go:noinline
func keep(b []byte) {
	if len(kept) < ring {
		kept = append(kept, b) // want: slice.grow trap-any-ring
	} else {
		kept[nkept%ring] = b
	}
	nkept++
}

//go:noinline
func reuse(_, i int) {
	var b []byte
	for j := 0; j < 100; j++ {
		b = append(b, byte(j)) // want: slice.grow trap-reuse
	}
	if i%8 == 0 {
		keep(b)
	}
}

//go:noinline
func large(_, i int) {
	var b []byte
	b = append(b, make([]byte, 40<<10+i%4096)...) // want: slice.grow trap-large
	if i%4 == 0 {
		keep(b)
	}
}

//go:noinline
func respan(_, i int) {
	// 400 operations per phase; each phase's objects replace the previous phase's.
	const perPhase = 400
	if i%perPhase == 0 {
		phase = make([][]byte, 0, perPhase)
	}
	var b []byte
	if (i/perPhase)%2 == 0 {
		for j := 0; j < 40; j++ {
			b = append(b, byte(j)) // want: slice.grow trap-respan-small
		}
	} else {
		for len(b) < 2000 {
			b = append(b, make([]byte, 500)...) // want: slice.grow trap-respan-big
		}
	}
	phase = append(phase, b)
}

//go:noinline
func oldBuckets(_, i int) {
	for j := 0; j < 50; j++ {
		grown[i*50+j] = j // want: map.grow trap-oldbuckets
	}
	if len(grown) >= 100000 {
		grown = make(map[int]int) // want: map.make trap-oldbuckets
	}
}

//go:noinline
func sweep(_, i int) {
	var small []byte
	small = append(small, byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16) // want: slice.grow trap-sweep
	keep(small)
	garbage = append(garbage[:0:0], make([]byte, 1<<20)...) // want: slice.grow trap-sweep-garbage
}

func main() {
	ops := map[string]func(int, int){
		"reuse": reuse, "large": large, "respan": respan, "oldbuckets": oldBuckets, "sweep": sweep,
	}
	leakrun.Main(leakrun.Scenario{
		Name: "traps",
		Rate: 1000,
		Setup: func() {
			if ops[*trap] == nil {
				fmt.Fprintf(os.Stderr, "traps: unknown -trap %q\n", *trap)
				os.Exit(2)
			}
		},
		Op: func(w, i int) { ops[*trap](w, i) },
	})
}
