// liveness allocates heap objects of known kinds, keeps a known half reachable and drops the other
// half, runs two GCs and prints the ground truth, so a test can compare goretain's heap reader
// (userspace/heap_reader.cpp) with it.
//
// Usage:
//
//	liveness            every kind below, a few thousand objects
//	liveness bench N    N small objects (24, 48 and 128 bytes) kept live, plus N/4 dropped
//
// Output, written after the GCs from a buffer built before them (printing then allocates nothing
// that could reuse a freed slot):
//
//	epoch <GC cycles completed when the objects were allocated>
//	obj <hex address> <size in bytes, 0 = unknown> live|dead <kind>
//	ready <GC cycles completed now>
//
// Then it reads commands on stdin, one per line, until EOF or "exit":
//
//	churn   allocate as many new objects of every kind as were dropped, kept reachable (they
//	        reuse the freed slots); prints "churned"
//	gc      runtime.GC(); prints "gc <cycles>"
//
// Automatic GC is off (SetGCPercent(-1)): only the GCs above and "gc" run a cycle.
package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"
)

type smallPtr struct { // 24 B, pointerful
	p    *int
	a, b int
}

type noscan40 [5]int64   // 40 B → 48-byte class, pointer-free
type ptr600 [75]*int     // 600 B pointerful: malloc header on go1.22+
type noscan700 [700]byte // 700 B → 704-byte class
type wholeSpan [12]int64 // 96 B; all of them are dropped, so their spans empty out

var (
	sink any // every allocation is stored here once, so it escapes to the heap

	kept    []any // the live half
	churned []any // "churn" results
	out     []byte
	dropped []func() any // how to allocate one more object of a dropped kind
)

func record(p unsafe.Pointer, size uintptr, live bool, kind string) {
	out = append(out, "obj "...)
	out = strconv.AppendUint(out, uint64(uintptr(p)), 16)
	out = append(out, ' ')
	out = strconv.AppendUint(out, uint64(size), 10)
	if live {
		out = append(out, " live "...)
	} else {
		out = append(out, " dead "...)
	}
	out = append(out, kind...)
	out = append(out, '\n')
}

// alloc makes n objects with f, keeps the even ones when `alternate`, else none.
func alloc(n int, alternate bool, kind string, f func() (any, unsafe.Pointer, uintptr)) {
	for i := 0; i < n; i++ {
		obj, p, size := f()
		sink = obj
		live := alternate && i%2 == 0
		if live {
			kept = append(kept, obj)
		} else {
			dropped = append(dropped, func() any { o, _, _ := f(); return o })
		}
		record(p, size, live, kind)
	}
	sink = nil
}

func goMinor() int {
	v := strings.TrimPrefix(runtime.Version(), "go1.")
	if i := strings.IndexAny(v, ". "); i >= 0 {
		v = v[:i]
	}
	n, _ := strconv.Atoi(v)
	return n
}

func allKinds() {
	alloc(1000, true, "small-ptr", func() (any, unsafe.Pointer, uintptr) {
		p := &smallPtr{a: 1}
		return p, unsafe.Pointer(p), unsafe.Sizeof(*p)
	})
	alloc(1000, true, "small-noscan", func() (any, unsafe.Pointer, uintptr) {
		p := &noscan40{1}
		return p, unsafe.Pointer(p), unsafe.Sizeof(*p)
	})
	alloc(100, true, "ptr-600", func() (any, unsafe.Pointer, uintptr) {
		p := &ptr600{}
		return p, unsafe.Pointer(p), unsafe.Sizeof(*p)
	})
	alloc(100, true, "noscan-700", func() (any, unsafe.Pointer, uintptr) {
		p := &noscan700{1}
		return p, unsafe.Pointer(p), unsafe.Sizeof(*p)
	})
	alloc(10, true, "large-noscan", func() (any, unsafe.Pointer, uintptr) {
		s := make([]byte, 40000)
		return s, unsafe.Pointer(&s[0]), 40000
	})
	alloc(10, true, "large-ptr", func() (any, unsafe.Pointer, uintptr) {
		s := make([]*int, 5000)
		return s, unsafe.Pointer(&s[0]), 5000 * 8
	})
	alloc(2000, false, "whole-span", func() (any, unsafe.Pointer, uintptr) {
		p := &wholeSpan{1}
		return p, unsafe.Pointer(p), unsafe.Sizeof(*p)
	})
	if goMinor() < 24 { // classic maps: hmap{count, flags, B, noverflow, hash0, buckets @16, ...}
		alloc(20, true, "map-header", func() (any, unsafe.Pointer, uintptr) {
			m := make(map[int]int, 1000)
			return m, *(*unsafe.Pointer)(unsafe.Pointer(&m)), 48
		})
		alloc(20, true, "map-buckets", func() (any, unsafe.Pointer, uintptr) {
			m := make(map[int]int, 1000)
			h := *(*unsafe.Pointer)(unsafe.Pointer(&m))
			return m, *(*unsafe.Pointer)(unsafe.Add(h, 16)), 0
		})
	}
	// Slice growth by append: every backing array but the last is garbage at once. Arrays under
	// 16 bytes would go to the tiny allocator (liveness per 16-byte block), so start at cap 2.
	for c := 0; c < 20; c++ {
		s := make([]int64, 0, 2)
		sink = s
		live := c%2 == 0
		for i := 0; i < 300; i++ {
			if len(s) == cap(s) {
				record(unsafe.Pointer(&s[:1][0]), uintptr(cap(s))*8, false, "slice-old")
			}
			s = append(s, int64(i))
			sink = s
		}
		record(unsafe.Pointer(&s[0]), uintptr(cap(s))*8, live, "slice-final")
		if live {
			kept = append(kept, s)
		}
		sink = nil
	}
}

func bench(n int) {
	kinds := []func() (any, unsafe.Pointer, uintptr){
		func() (any, unsafe.Pointer, uintptr) { p := &smallPtr{}; return p, unsafe.Pointer(p), 24 },
		func() (any, unsafe.Pointer, uintptr) { p := &noscan40{}; return p, unsafe.Pointer(p), 40 },
		func() (any, unsafe.Pointer, uintptr) { p := &[16]*int{}; return p, unsafe.Pointer(p), 128 },
	}
	kept = make([]any, 0, n)
	out = make([]byte, 0, (n+n/4)*32)
	for i := 0; i < n+n/4; i++ {
		obj, p, size := kinds[i%3]()
		sink = obj
		live := i%5 != 4
		if live {
			kept = append(kept, obj)
		}
		record(p, size, live, "bench")
	}
	sink = nil
}

func cycles() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}

func main() {
	debug.SetGCPercent(-1)
	epoch := cycles()
	out = append(out, "epoch "...)
	out = strconv.AppendUint(out, uint64(epoch), 10)
	out = append(out, '\n')
	if len(os.Args) == 3 && os.Args[1] == "bench" {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n <= 0 {
			os.Stderr.WriteString("usage: liveness [bench N]\n")
			os.Exit(2)
		}
		head := out
		bench(n)
		out = append(head, out...)
	} else {
		allKinds()
	}
	churned = make([]any, 0, len(dropped))
	out = append(out, make([]byte, 0, 64)...) // room for "ready N"
	line := make([]byte, 0, 64)
	cmd := make([]byte, 256)

	runtime.GC()
	runtime.GC()
	out = append(out, "ready "...)
	out = strconv.AppendUint(out, uint64(cycles()), 10)
	out = append(out, '\n')
	os.Stdout.Write(out)

	for {
		n, err := os.Stdin.Read(cmd)
		if n <= 0 || err != nil {
			return
		}
		for _, c := range cmd[:n] {
			if c != '\n' {
				line = append(line, c)
				continue
			}
			switch string(line) {
			case "churn":
				for _, f := range dropped {
					churned = append(churned, f())
				}
				os.Stdout.Write([]byte("churned\n"))
			case "gc":
				runtime.GC()
				reply := strconv.AppendUint([]byte("gc "), uint64(cycles()), 10)
				os.Stdout.Write(append(reply, '\n'))
			case "exit":
				return
			}
			line = line[:0]
		}
	}
}
