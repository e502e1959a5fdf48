// accuracy exercises every map and slice allocation path goretain accounts for, each at its own
// line in its own non-inlined function, then writes the runtime's exact heap profile
// (MemProfileRate = 1) per call site to -profile FILE, for comparison with goretain's report.
//
// Usage: accuracy [-wait FILE] -profile FILE
// No allocation here is a tiny (pointer-free, < 16 B) one: the runtime profiles those per shared
// 16-byte block, not per object, so they cannot be compared one to one.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"goretain.test/targets/internal/gate"
	"goretain.test/targets/internal/groundtruth"
)

type big struct{ a [20]int64 } // 160 B: stored indirectly in map buckets
type item struct {
	p *int
	n int
} // pointerful element

var (
	sinkIntMap  map[int]int
	sinkStrMap  map[string]int
	sinkBigMap  map[int]big
	sinkHinted  []map[int]int
	sinkInts    []int64
	sinkItems   []item
	sinkBytes   []byte
	sinkStrings []string
)

//go:noinline
func makeHinted(n int) {
	for i := 0; i < n; i++ {
		sinkHinted = append(sinkHinted[:0], make(map[int]int, 9+i%3000)) // want: map.make hinted
	}
}

//go:noinline
func growIntMap(n int) {
	m := make(map[int]int) // want: map.make intmap
	for i := 0; i < n; i++ {
		m[i] = i // want: map.grow intmap
	}
	sinkIntMap = m
}

//go:noinline
func growStringMap(n int) {
	m := make(map[string]int) // want: map.make strmap
	for i := 0; i < n; i++ {
		m[keys[i]] = i // want: map.grow strmap
	}
	sinkStrMap = m
}

//go:noinline
func growBigValueMap(n int) {
	m := make(map[int]big) // want: map.make bigmap
	for i := 0; i < n; i++ {
		m[i] = big{} // want: map.grow bigmap
	}
	sinkBigMap = m
}

//go:noinline
func appendInts(n int) {
	var s []int64
	for i := 0; i < n; i++ {
		s = append(s, int64(i), int64(i)) // want: slice.grow ints
	}
	sinkInts = s
}

//go:noinline
func appendItems(n int) {
	var s []item
	for i := 0; i < n; i++ {
		s = append(s, item{nil, i}) // want: slice.grow items
	}
	sinkItems = s
}

var block [16]byte

//go:noinline
func appendBytes(n int) {
	var s []byte
	s = append(s, block[:]...) // want: slice.grow block
	for i := 0; i < n; i++ {
		s = append(s, byte(i)) // want: slice.grow bytes
	}
	sinkBytes = s
}

var keys []string

func main() {
	wait := flag.String("wait", "", "poll until this file exists before allocating")
	profile := flag.String("profile", "", "write the exact heap profile per call site here")
	flag.Parse()
	keys = make([]string, 20000)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	gate.WaitFor(*wait)
	makeHinted(500)
	for r := 0; r < 20; r++ {
		growIntMap(1000 + r*397)
		growStringMap(20000)
		growBigValueMap(300)
		appendInts(5000 + r)
		appendItems(3000)
		appendBytes(100000)
	}
	if *profile != "" {
		if err := groundtruth.Write(*profile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Println("accuracy: done")
}
