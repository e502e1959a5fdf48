// churn is the overhead benchmark's Go workload: a map- and slice-heavy loop (request-style maps
// built and dropped, slices appended to, a bounded cache) that runs for a fixed amount of work
// and exits, so its wall time can be compared untraced and traced.
//
// Usage: churn [-rounds N] [-heap FILE] [-memrate BYTES]
//
// -heap writes the runtime's heap profile at the end. Because the program can write one, the
// runtime samples its heap at Go's default rate (MemProfileRate 512 KiB) in every run, traced or
// not, as in a production server that serves /debug/pprof: what goretain --sample rides.
// -memrate sets runtime.MemProfileRate first thing in main (0: the runtime samples nothing, as in a
// program that never references the heap profile; GODEBUG=memprofilerate does not reach go1.19's
// runtime, which sets the variable in its own init): scripts/bench-sampling-cost.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

type record struct {
	id    int
	name  string
	attrs map[string]string
}

var cache = map[int]*record{}

//go:noinline
func handle(i int) int {
	attrs := make(map[string]string, 4)
	attrs["id"] = strconv.Itoa(i)
	var tags []string
	for j := 0; j < 6; j++ {
		tags = append(tags, "t"+strconv.Itoa(j))
	}
	r := &record{id: i, name: tags[i%len(tags)], attrs: attrs}
	cache[i%4096] = r
	counts := map[int]int{}
	for j := 0; j < 40; j++ {
		counts[(i+j)%64]++
	}
	buf := make([]int, 0)
	for j := 0; j < 100; j++ {
		buf = append(buf, j*i)
	}
	return len(counts) + len(buf) + len(r.name)
}

func main() {
	rounds := flag.Int("rounds", 200000, "requests to simulate")
	heap := flag.String("heap", "", "write the runtime's heap profile here at the end")
	memrate := flag.Int("memrate", -1, "set runtime.MemProfileRate to BYTES first (-1: leave it)")
	flag.Parse()
	if *memrate >= 0 {
		runtime.MemProfileRate = *memrate
	}
	start := time.Now()
	total := 0
	for i := 0; i < *rounds; i++ {
		total += handle(i)
	}
	// The benchmark reads the workload's own time, so a tracer's attach and detach do not count.
	fmt.Printf("churn: done %d elapsed_ms=%.1f\n", total, float64(time.Since(start).Microseconds())/1000)
	if *heap != "" {
		f, err := os.Create(*heap)
		if err == nil {
			err = pprof.WriteHeapProfile(f)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
