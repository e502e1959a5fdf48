// Package groundtruth writes a target's own exact allocation profile, per call site, as JSON.
//
// Importing it sets runtime.MemProfileRate = 1 before main runs, so the runtime records every
// allocation (not a sample). Write attributes each record to its innermost frame outside the Go
// runtime, the same rule goretain uses, so the two can be compared line by line.
package groundtruth

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
)

func init() { runtime.MemProfileRate = 1 }

// Site is one call site's totals from the runtime's heap profile.
type Site struct {
	Function     string `json:"function"`
	File         string `json:"file"`
	Line         int    `json:"line"`
	AllocObjects int64  `json:"alloc_objects"`
	AllocBytes   int64  `json:"alloc_bytes"`
	InuseObjects int64  `json:"inuse_objects"`
	InuseBytes   int64  `json:"inuse_bytes"`
}

func isRuntime(fn string) bool {
	// maps.clone is the runtime's map copy, linknamed into package maps.
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/runtime/") ||
		fn == "maps.clone"
}

// mapOrSlicePath reports whether a runtime frame belongs to the map and slice allocation paths
// goretain accounts for. Records with any other runtime frame are the runtime's own allocations
// that merely happened during a map or slice operation; goretain does not count them, so neither
// does the ground truth.
func mapOrSlicePath(fn string) bool {
	for _, p := range []string{
		"runtime.makemap", "runtime.mapassign", "runtime.(*hmap).", "runtime.hashGrow",
		"runtime.growWork", "runtime.evacuate", "runtime.makeBucketArray", "runtime.growslice",
		"runtime.newobject", "runtime.newarray", "runtime.mallocgc", "runtime.moveSlice",
		"runtime.mapclone", "maps.clone", "internal/runtime/maps.",
		// makeslice, makeslicecopy: the program's own make([]T, n) (slice.make), and a Swiss map's
		// table directory (make([]*table, n) in the map code; go1.26+ stacks show the makeslice frame).
		"runtime.makeslice",
	} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// collectorsOwn reports whether a record is the garbage collector's own allocation, made inside
// the allocation that started or assisted a GC cycle. Its stack runs through that allocation's
// call site, so a profile read naively charges it to that line, which did not ask for it
// (measured with Debian's go1.21 to go1.27, GOMAXPROCS=2):
//   - from go1.23, the first cycle's gcStart -> gcBgMarkStartWorkers allocates a chan struct{}
//     (112 B) and a 16 B closure per P (one per background mark worker);
//   - a goroutine that waits on a GC semaphore (in gcStart, or gcAssistAlloc -> gcMarkDone) may
//     allocate a sudog (96 B; 112 B from go1.26), in any cycle.
//
// goretain counts none of these, rightly: a map filled with 1,000 int64 keys on go1.24 costs
// 7,440,800 B, and the records naming its line sum to 7,441,040 B (+112 +2x16 +96). A
// runtime.GC() before the work would remove only the first part, so such records are dropped by
// their frames, whatever the innermost ones are: go1.23 to go1.25 record these stacks without the
// allocating frames (makechan, newobject), starting right at gcBgMarkStartWorkers.
func collectorsOwn(frames []runtime.Frame) bool {
	for _, f := range frames {
		switch f.Function {
		case "runtime.gcStart", "runtime.gcBgMarkStartWorkers", "runtime.gcAssistAlloc",
			"runtime.gcMarkDone":
			return true
		}
	}
	return false
}

func stackOf(r runtime.MemProfileRecord) []runtime.Frame {
	var out []runtime.Frame
	frames := runtime.CallersFrames(r.Stack())
	for {
		f, more := frames.Next()
		out = append(out, f)
		if !more {
			return out
		}
	}
}

// Collect returns the profile per call site. The heap profile is published at the end of a GC
// cycle and may lag by two cycles, so it forces three.
func Collect() []Site {
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	var records []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		records = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		n, ok = runtime.MemProfile(records, true)
		if ok {
			records = records[:n]
			break
		}
	}
	type key struct {
		fn, file string
		line     int
	}
	sites := map[key]*Site{}
	var order []key
	for _, r := range records {
		frames := stackOf(r)
		if collectorsOwn(frames) {
			continue
		}
		for _, f := range frames {
			if !isRuntime(f.Function) {
				k := key{f.Function, f.File, f.Line}
				s, ok := sites[k]
				if !ok {
					s = &Site{Function: f.Function, File: f.File, Line: f.Line}
					sites[k] = s
					order = append(order, k)
				}
				s.AllocObjects += r.AllocObjects
				s.AllocBytes += r.AllocBytes
				s.InuseObjects += r.InUseObjects()
				s.InuseBytes += r.InUseBytes()
				break
			}
			if !mapOrSlicePath(f.Function) {
				break
			}
		}
	}
	out := make([]Site, 0, len(order))
	for _, k := range order {
		out = append(out, *sites[k])
	}
	return out
}

// Write collects the profile and writes it to path as a JSON array.
func Write(path string) error {
	data, err := json.MarshalIndent(Collect(), "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
