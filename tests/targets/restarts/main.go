// restarts is a short-lived service, for the node agent's tests of processes that exit
// (tests/e2e/exited_processes_test.cpp) and its churn benchmark (scripts/bench-agent-churn.sh).
// It imports neither flag nor fmt, so its runtime's package initialization allocates little: a
// tracer that attaches while it runs sees a few call sites of init at most.
//
// Usage:
//
//	restarts gate FILE N [RATE]      (sets runtime.MemProfileRate to RATE,) waits until FILE
//	                                 exists, then appends N times at each of its ten marked lines
//	                                 (one non-inlined function each), and exits
//	restarts churn SITE DURATION RATE  sets runtime.MemProfileRate to RATE, then allocates at
//	                                 line SITE (0-9) in bursts, keeping a bounded working set,
//	                                 for DURATION (e.g. 300ms), and exits
package main

import (
	"os"
	"runtime"
	"strconv"
	"time"

	"goretain.test/targets/internal/gate"
)

// 16-byte elements: a 1-element slice is not a tiny allocation (those are sampled per 16-byte block)
var keep [64][][2]int64

//go:noinline
func line0(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l0

//go:noinline
func line1(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l1

//go:noinline
func line2(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l2

//go:noinline
func line3(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l3

//go:noinline
func line4(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l4

//go:noinline
func line5(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l5

//go:noinline
func line6(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l6

//go:noinline
func line7(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l7

//go:noinline
func line8(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l8

//go:noinline
func line9(i int) { keep[i%64] = append(keep[i%64][:0:0], [2]int64{int64(i)}) } // want: slice.grow l9

var lines = [...]func(int){line0, line1, line2, line3, line4, line5, line6, line7, line8, line9}

// churn: bursts of 32-element slices at one line, 5 ms apart.
func churn(line func(int), run time.Duration) {
	for deadline := time.Now().Add(run); time.Now().Before(deadline); {
		for i := 0; i < 2000; i++ {
			line(i)
			keep[i%64] = append(keep[i%64], make([][2]int64, 31)...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func main() {
	if (len(os.Args) == 4 || len(os.Args) == 5) && os.Args[1] == "gate" {
		n, _ := strconv.Atoi(os.Args[3])
		if len(os.Args) == 5 { // RATE: every allocation sampled with 1 (a sampled tracer's counts)
			runtime.MemProfileRate, _ = strconv.Atoi(os.Args[4])
		}
		gate.WaitFor(os.Args[2])
		for _, line := range lines {
			for i := 0; i < n; i++ {
				line(i)
			}
		}
		return
	}
	if len(os.Args) == 5 && os.Args[1] == "churn" {
		site, _ := strconv.Atoi(os.Args[2])
		run, _ := time.ParseDuration(os.Args[3])
		rate, _ := strconv.Atoi(os.Args[4])
		runtime.MemProfileRate = rate
		churn(lines[site%len(lines)], run)
		// Referencing the heap profile's reader keeps the runtime's sampling on (the linker
		// turns it off in a program that cannot read its profile), as in a service that serves
		// /debug/pprof: what the sampled agent rides.
		runtime.MemProfile(nil, true)
		return
	}
	os.Stderr.WriteString("usage: restarts gate FILE N [RATE] | restarts churn SITE DURATION RATE\n")
	os.Exit(2)
}
