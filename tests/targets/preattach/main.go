// preattach: allocates and keeps memory at known lines, then writes its own heap profile (after
// runtime.GC(), per call site, raw sample counts and bytes as runtime.MemProfile gives them) and
// waits, allocating nothing, for goretain to attach afterwards (tests/e2e/before_attach_test.cpp).
//
//	-rate N     runtime.MemProfileRate (set first thing in main; 1 = every allocation recorded)
//	-profile F  where to write the profile (JSON), then print "ready" and sleep
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

type item struct {
	id   int
	name string
	next *item
}

var (
	keptMaps   []map[int]int
	keptSlices [][]int64
	keptBufs   [][]byte
	keptItems  []*item
)

//go:noinline
func fillMaps(n int) {
	for i := 0; i < n; i++ {
		m := make(map[int]int, 64) // want: map.make maps
		for k := 0; k < 64; k++ {
			m[k] = k
		}
		keptMaps = append(keptMaps, m)
	}
}

//go:noinline
func growSlices(n int) {
	for i := 0; i < n; i++ {
		var s []int64
		for k := 0; k < 1000; k++ {
			s = append(s, int64(k)) // want: slice.grow ints
		}
		keptSlices = append(keptSlices, s)
	}
}

//go:noinline
func makeBufs(n int) {
	for i := 0; i < n; i++ {
		keptBufs = append(keptBufs, make([]byte, 4096+i)) // want: slice.make bufs
	}
}

//go:noinline
func newItems(n int) {
	var head *item
	for i := 0; i < n; i++ {
		head = &item{id: i, name: "x", next: head} // want: other items
		keptItems = append(keptItems, head)
	}
}

var sink []byte

//go:noinline
func garbage(n int) {
	for i := 0; i < n; i++ {
		sink = make([]byte, 8192) // want: slice.make garbage
	}
	sink = nil
}

// Site is one call site of the runtime's heap profile: the innermost frame outside the runtime.
type Site struct {
	Function     string `json:"function"`
	File         string `json:"file"`
	Line         int    `json:"line"`
	InuseObjects int64  `json:"inuse_objects"`
	InuseBytes   int64  `json:"inuse_bytes"`
	AllocObjects int64  `json:"alloc_objects"`
	AllocBytes   int64  `json:"alloc_bytes"`
}

func isRuntime(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/runtime/")
}

func profile() []Site {
	var records []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		records = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		if n, ok = runtime.MemProfile(records, true); ok {
			records = records[:n]
			break
		}
	}
	type key struct {
		fn, file string
		line     int
	}
	sites := map[key]*Site{}
	var out []Site
	for _, r := range records {
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			if !isRuntime(f.Function) {
				k := key{f.Function, f.File, f.Line}
				s := sites[k]
				if s == nil {
					s = &Site{Function: f.Function, File: f.File, Line: f.Line}
					sites[k] = s
				}
				s.InuseObjects += r.InUseObjects()
				s.InuseBytes += r.InUseBytes()
				s.AllocObjects += r.AllocObjects
				s.AllocBytes += r.AllocBytes
				break
			}
			if !more {
				break
			}
		}
	}
	for _, s := range sites {
		out = append(out, *s)
	}
	return out
}

func main() {
	rate := flag.Int("rate", -1, "runtime.MemProfileRate (-1: leave the default)")
	path := flag.String("profile", "", "write the heap profile here, then wait")
	flag.Parse()
	if *rate >= 0 {
		runtime.MemProfileRate = *rate
	}
	fillMaps(200)
	growSlices(300)
	makeBufs(500)
	newItems(20000)
	garbage(2000)
	// Published in the profile only once a GC cycle completed (and its sweep, for the frees).
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	data, err := json.Marshal(profile())
	if err == nil {
		err = os.WriteFile(*path, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
	runtime.KeepAlive(keptMaps)
}
