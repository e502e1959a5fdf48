// restarts is a short-lived service for the node agent's churn benchmark
// (scripts/bench-agent-churn.sh): it allocates at one of eight lines (-site N, each in its own
// non-inlined function, so a restart has call sites of its own), keeping a bounded working set,
// for -for, then exits 0. Restarted over and over, it is a service a node agent keeps seeing
// come and go.
//
// Usage: restarts [-site N] [-for DURATION] [-memrate BYTES]
// -memrate sets runtime.MemProfileRate first thing (a small rate gives the sampled agent samples
// from a process that lives a second).
package main

import (
	"flag"
	"runtime"
	"time"
)

var keep = map[int][]int64{}

//go:noinline
func site0(i int) { keep[i%256] = make([]int64, 64) }

//go:noinline
func site1(i int) { keep[i%256] = make([]int64, 128) }

//go:noinline
func site2(i int) { keep[i%256] = append(keep[i%256][:0:0], int64(i)) }

//go:noinline
func site3(i int) { keep[i%256] = make([]int64, 32) }

//go:noinline
func site4(i int) { keep[i%256] = make([]int64, 96) }

//go:noinline
func site5(i int) { keep[i%256] = make([]int64, 48) }

//go:noinline
func site6(i int) { keep[i%256] = make([]int64, 80) }

//go:noinline
func site7(i int) { keep[i%256] = make([]int64, 112) }

var sites = []func(int){site0, site1, site2, site3, site4, site5, site6, site7}

//go:noinline
func burst(f func(int), n int) {
	m := make(map[int]int, n/16) // every restart has a map row too
	for i := 0; i < n; i++ {
		f(i)
		m[i%64]++
	}
}

func main() {
	site := flag.Int("site", 0, "which of the eight allocating lines to use (0-7)")
	run := flag.Duration("for", time.Second, "how long to run before exiting")
	memrate := flag.Int("memrate", -1, "set runtime.MemProfileRate to BYTES first (-1: leave it)")
	flag.Parse()
	if *memrate >= 0 {
		runtime.MemProfileRate = *memrate
	}
	f := sites[*site%len(sites)]
	for deadline := time.Now().Add(*run); time.Now().Before(deadline); {
		burst(f, 2000)
		time.Sleep(5 * time.Millisecond)
	}
}
