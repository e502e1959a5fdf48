// growth makes maps and slices grow while being filled, at separate `// want:` lines, and prints
// the ground truth it observed itself, so a tracer's map.grow and slice.grow rows can be checked.
//
// Maps: -maps times, a fresh map[string]*int gets 8 keys (its first bucket is allocated by the
// first insert: one map.grow of one 208 B bucket, and 8 keys always fit in it), then a 9th key
// (the map doubles to 2 buckets: one map.grow of 416 B). The 9th key lands in a full bucket with
// probability 1/256 per map; the runtime then allocates one overflow bucket (208 B), which the
// program sees in hmap.noverflow and reports as "overflow=K".
//
// Slices: -appends values appended one by one to a nil []int64; every change of cap is one
// growth whose backing array is cap*8 bytes (the runtime already rounded cap to its size class).
//
// Usage: growth [-wait FILE] [-maps N] [-appends N]
// Prints "growth: maps=N overflow=K slice_grows=G slice_bytes=B".
package main

import (
	"flag"
	"fmt"
	"strconv"
	"unsafe"

	"goretain.test/targets/internal/gate"
)

var (
	keys      []string
	value     int
	sinkMap   map[string]*int
	sinkSlice []int64
)

// hmapHeader mirrors the first fields of go1.19's runtime.hmap.
type hmapHeader struct {
	count     int
	flags     uint8
	B         uint8
	noverflow uint16
}

func header(m map[string]*int) *hmapHeader {
	return *(**hmapHeader)(unsafe.Pointer(&m))
}

//go:noinline
func newMap() map[string]*int {
	return make(map[string]*int) // want: map.make grow-map
}

//go:noinline
func fillEight(m map[string]*int) {
	for i := 0; i < 8; i++ {
		m[keys[i]] = &value // want: map.grow first-bucket
	}
}

//go:noinline
func addNinth(m map[string]*int) {
	m[keys[8]] = &value // want: map.grow hash-grow
}

// growMaps returns how many overflow buckets the 9th inserts allocated.
//
//go:noinline
func growMaps(n int) int {
	overflow := 0
	for i := 0; i < n; i++ {
		m := newMap()
		fillEight(m)
		if h := header(m); h.B != 0 || h.noverflow != 0 || h.count != 8 {
			panic(fmt.Sprintf("unexpected map state after 8 inserts: %+v", *h))
		}
		addNinth(m)
		h := header(m)
		if h.B != 1 || h.count != 9 {
			panic(fmt.Sprintf("unexpected map state after 9 inserts: %+v", *h))
		}
		// hashGrow reset noverflow; anything now counted was allocated by this insert.
		overflow += int(h.noverflow)
		sinkMap = m
	}
	return overflow
}

//go:noinline
func growSlice(n int) (grows int, bytes int) {
	var s []int64
	for i := 0; i < n; i++ {
		before := cap(s)
		s = append(s, int64(i)) // want: slice.grow grow-loop
		if cap(s) != before {
			grows++
			bytes += cap(s) * 8
		}
	}
	sinkSlice = s
	return grows, bytes
}

func main() {
	wait := flag.String("wait", "", "poll until this file exists before allocating")
	maps := flag.Int("maps", 1000, "maps filled to 9 keys")
	appends := flag.Int("appends", 100000, "values appended to one slice")
	flag.Parse()
	for i := 0; i < 9; i++ {
		keys = append(keys, "key-"+strconv.Itoa(i))
	}
	gate.WaitFor(*wait)
	overflow := growMaps(*maps)
	grows, bytes := growSlice(*appends)
	fmt.Printf("growth: maps=%d overflow=%d slice_grows=%d slice_bytes=%d\n", *maps, overflow, grows, bytes)
}
