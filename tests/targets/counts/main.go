// counts performs exactly known numbers of map and slice allocations, each at its own line in its
// own non-inlined function, so a test can compare goretain's report with the ground truth.
//
// Usage: counts [-wait FILE] [-hint N] [-small N] [-append N]
// With -wait it first polls until FILE exists (so a tracer can attach to the running process),
// then allocates and exits 0. The lines a test looks for carry a `// want:` marker.
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
)

//go:noinline
func makeMapsWithHint(n int) {
	for i := 0; i < n; i++ {
		sinkMapHint = make(map[int]int, 100) // want: map.make hint
	}
}

//go:noinline
func makeSmallMaps(n int) {
	for i := 0; i < n; i++ {
		sinkMapSmall = make(map[string]int) // want: map.make small
	}
}

//go:noinline
func appendOnce(n int) {
	for i := 0; i < n; i++ {
		s := sinkSlice[:0:0]
		s = append(s, int64(i)) // want: slice.grow once
		sinkSlice = s
	}
}

func main() {
	wait := flag.String("wait", "", "poll until this file exists before allocating")
	hint := flag.Int("hint", 1000, "make(map[int]int, 100) calls")
	small := flag.Int("small", 2000, "make(map[string]int) calls")
	appends := flag.Int("append", 3000, "appends that grow a nil slice")
	flag.Parse()
	gate.WaitFor(*wait)
	makeMapsWithHint(*hint)
	makeSmallMaps(*small)
	appendOnce(*appends)
	fmt.Println("counts: done")
}
