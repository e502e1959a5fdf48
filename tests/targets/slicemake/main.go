// slicemake makes slices with make([]T, n) and make([]T, n, m) (runtime.makeslice) and with
// make-then-copy (runtime.makeslicecopy; for pointer-free elements the compiler calls
// runtime.mallocgc directly), and leaks the way the seeds' first example does: every
// operation stores a make([]byte, 1024) payload in a map[string]interface{} appended to a global
// []map[string]interface{} that nothing truncates. The payload is most of what the program keeps.
//
// Usage: slicemake [-wait FILE] [-rate N] [-duration D] [-profile FILE -profile-after D] [-freeze]
// (all flags: goretain.test/targets/leakrun). Default 500 operations/s, about 0.6 MB/s retained.
//
// Markers ("want:" comments): <kind> <label> on every line a test looks at; no other allocation
// shares a marked line. leak[-<what>]: its allocations stay reachable ("steps": a container that
// grows by doubling). "slice.make stack": a make the compiler keeps on the stack (no heap object).
// "profile copy-bytes": where the runtime's own heap profile files copy-bytes' allocations (a
// direct mallocgc call from compiled code: the profile of go1.19-1.24 starts its stack one
// frame up, in optimized builds; go1.26's does not).
package main

import (
	"goretain.test/targets/leakrun"
)

type entry struct {
	ID   int
	Next *entry
}

var events []map[string]interface{} // LEAK: appended to forever

var (
	sinkInts   []int64
	sinkPtrs   []*entry
	sinkLarge  []byte
	sinkCopy   []*entry
	sinkBytes  []byte
	sinkSmall  []byte
	sinkStruct []entry
	stackSum   int
)

//go:noinline
func record(i int) {
	ev := make(map[string]interface{}) // want: map.make leak
	payload := make([]byte, 1024)      // want: slice.make leak-payload
	payload[0] = byte(i)
	ev["payload"] = payload
	events = append(events, ev) // want: slice.grow leak steps
}

// churn makes slices that die young: every size path of the allocator, none retained.
//
//go:noinline
func churn(i int) {
	n := 100 + i%7
	sinkInts = make([]int64, n)           // want: slice.make ints
	sinkPtrs = make([]*entry, 10, 60+i%5) // want: slice.make ptrs-cap
	sinkSmall = make([]byte, 16+i%32)     // want: slice.make small
	sinkStruct = make([]entry, i%3, 40)   // want: slice.make structs
	if i%10 == 0 {
		sinkLarge = make([]byte, 33000+i%3) // want: slice.make large
	}
	c := make([]*entry, len(sinkPtrs)) // want: slice.make copy
	copy(c, sinkPtrs)
	sinkCopy = c
	b := make([]byte, len(sinkSmall)) // want: slice.make copy-bytes
	copy(b, sinkSmall)
	sinkBytes = b
	var local = make([]int, 4) // want: slice.make stack
	local[i%4] = i
	stackSum += local[0]
}

func op(_, i int) {
	record(i)
	// Few enough short-lived bytes that GC cycles stay about a second apart: the leak signal
	// judges the last 12 checks, which must span several seconds.
	if i%10 == 0 {
		churn(i / 10) // want: profile copy-bytes
	}
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "slicemake", Rate: 500, Op: op})
}
