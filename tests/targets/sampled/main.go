// sampled allocates maps and slices at known lines with the runtime's default heap sampling
// (runtime.MemProfileRate = 512 KiB: importing runtime/pprof keeps profiling on), keeps a part of
// each, then runs a GC and writes the runtime's own heap profile (runtime/pprof's "heap", debug=1:
// the raw sample counts per stack) to -profile FILE, for comparison with goretain --sample.
//
// Usage: sampled [-wait FILE] -profile FILE [-scale N]
// Every allocating statement of this file is on a line of its own; main allocates nothing else
// here after the gate (the profile's own writing allocates in package os and runtime/pprof).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"goretain.test/targets/internal/gate"
)

type point struct{ x, y, z int64 }

var (
	keptMaps   []map[int]int
	keptGrown  []map[int]string
	keptInts   [][]int64
	keptBufs   [][]byte
	keptPoints []*point
)

//go:noinline
func makeMaps(n int) {
	for i := 0; i < n; i++ {
		m := make(map[int]int, 200) // want: map.make hinted
		if i%4 == 0 {
			keptMaps = append(keptMaps, m)
		}
	}
}

//go:noinline
func growMaps(n int) {
	for i := 0; i < n; i++ {
		m := map[int]string{}
		for k := 0; k < 300; k++ {
			m[k] = "v" // want: map.grow grown
		}
		if i%3 == 0 {
			keptGrown = append(keptGrown, m)
		}
	}
}

//go:noinline
func appendInts(n int) {
	for i := 0; i < n; i++ {
		var s []int64
		for k := 0; k < 2000; k++ {
			s = append(s, int64(k)) // want: slice.grow ints
		}
		if i%5 == 0 {
			keptInts = append(keptInts, s)
		}
	}
}

//go:noinline
func makeBufs(n int) {
	for i := 0; i < n; i++ {
		b := make([]byte, 4096+i%512) // want: slice.make bufs
		if i%2 == 0 {
			keptBufs = append(keptBufs, b)
		}
	}
}

//go:noinline
func newPoints(n int) {
	for i := 0; i < n; i++ {
		p := &point{int64(i), 0, 0} // want: other points
		if i%8 == 0 {
			keptPoints = append(keptPoints, p)
		}
	}
}

func main() {
	wait := flag.String("wait", "", "poll until this file exists before allocating")
	profile := flag.String("profile", "", "write the runtime's heap profile (debug=1) here")
	scale := flag.Int("scale", 1, "multiply the work")
	flag.Parse()
	gate.WaitFor(*wait)
	for r := 0; r < *scale; r++ {
		makeMaps(3000)
		growMaps(1500)
		appendInts(1500)
		makeBufs(20000)
		newPoints(400000)
	}
	runtime.GC() // the heap profile is "as of the last GC"
	if *profile != "" {
		if err := writeProfile(*profile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Println("sampled: done")
}

// writeProfile writes under a temporary name and renames, so a test can poll for the file.
func writeProfile(path string) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 1); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
