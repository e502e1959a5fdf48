// deepstack makes the probed runtime allocation functions grow the goroutine stack.
//
// Every allocation runs in a fresh goroutine (a fresh, small stack) after recursing to a depth
// that is swept from 0 to -depth. Each step moves the stack pointer by one small frame while the
// allocating functions have a large frame, so for every stack size the sweep crosses, some depth
// leaves just enough room for the allocating function but not for runtime.makemap,
// runtime.makemap_small or runtime.growslice: their stack check fails, they call morestack, and
// the runtime restarts them from their first instruction on a larger stack. A tracer that probes
// the function entry naively counts those calls twice; the ground truth is one per call.
//
// Usage: deepstack [-wait FILE] [-depth D] [-reps R]
// Each `// want:` line executes exactly (D+1)*R times. Prints "deepstack: done N" (N per line).
package main

import (
	"flag"
	"fmt"

	"goretain.test/targets/internal/gate"
)

var (
	sinkMapHint  map[int]int
	sinkMapSmall map[string]int
	sinkSlice    []int64
	sinkSum      int64
)

// pad keeps a large array on the caller's stack frame (it does not escape).
//
//go:noinline
func pad(buf *[48]int64) int64 {
	var s int64
	for i := range buf {
		s += buf[i]
	}
	return s
}

//go:noinline
func makeMapWithHint(seed int64) {
	var buf [48]int64
	buf[seed&31] = seed
	sinkSum += pad(&buf)
	sinkMapHint = make(map[int]int, 100) // want: map.make hint
}

//go:noinline
func makeSmallMap(seed int64) {
	var buf [48]int64
	buf[seed&31] = seed
	sinkSum += pad(&buf)
	sinkMapSmall = make(map[string]int) // want: map.make small
}

//go:noinline
func appendOnce(seed int64) {
	var buf [48]int64
	buf[seed&31] = seed
	sinkSum += pad(&buf)
	s := sinkSlice[:0:0]
	s = append(s, seed) // want: slice.grow once
	sinkSlice = s
}

// descend recurses depth frames (each a few dozen bytes) before allocating.
//
//go:noinline
func descend(depth int, op int) int {
	if depth == 0 {
		switch op {
		case 0:
			makeMapWithHint(int64(depth))
		case 1:
			makeSmallMap(int64(depth))
		default:
			appendOnce(int64(depth))
		}
		return 0
	}
	return descend(depth-1, op) + 1
}

func main() {
	wait := flag.String("wait", "", "poll until this file exists before allocating")
	depth := flag.Int("depth", 299, "deepest recursion before an allocation (swept from 0)")
	reps := flag.Int("reps", 4, "sweeps")
	flag.Parse()
	gate.WaitFor(*wait)
	done := make(chan struct{})
	n := 0
	for r := 0; r < *reps; r++ {
		for d := 0; d <= *depth; d++ {
			for op := 0; op < 3; op++ {
				go func(d, op int) {
					descend(d, op)
					done <- struct{}{}
				}(d, op)
				<-done // one goroutine at a time: the sinks are plain globals
			}
			n++
		}
	}
	fmt.Printf("deepstack: done %d\n", n)
}
