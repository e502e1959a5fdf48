// churn is the overhead benchmark's Go workload: a map- and slice-heavy loop (request-style maps
// built and dropped, slices appended to, a bounded cache) that runs for a fixed amount of work
// and exits, so its wall time can be compared untraced and traced.
//
// Usage: churn [-rounds N] [-heap FILE] [-memrate BYTES] [-seconds S [-tick-ms MS]]
//
// -heap writes the runtime's heap profile at the end. Because the program can write one, the
// runtime samples its heap at Go's default rate (MemProfileRate 512 KiB) in every run, traced or
// not, as in a production server that serves /debug/pprof: what goretain --sample rides.
// -memrate sets runtime.MemProfileRate first thing in main (0: the runtime samples nothing, as in a
// program that never references the heap profile; GODEBUG=memprofilerate does not reach go1.19's
// runtime, which sets the variable in its own init): scripts/bench-sampling-cost.sh.
// -seconds runs for that long instead of a number of rounds, printing "tick t_ns=T rounds=N"
// (the wall clock in Unix ns, the rounds done in that tick) every -tick-ms: a tracer attached
// and detached while it runs is measured against the same process's neighbouring ticks
// (scripts/bench-sample-windows.sh).
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
	seconds := flag.Float64("seconds", 0, "run this long, printing the rounds of every tick")
	tickMs := flag.Int("tick-ms", 100, "with -seconds: the tick")
	flag.Parse()
	if *memrate >= 0 {
		runtime.MemProfileRate = *memrate
	}
	if *seconds > 0 {
		runTicks(time.Duration(*seconds*float64(time.Second)), time.Duration(*tickMs)*time.Millisecond)
		return
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

// runTicks runs handle for d, printing the rounds done in each tick (checked every 64 rounds).
func runTicks(d, tick time.Duration) {
	end := time.Now().Add(d)
	next := time.Now().Add(tick)
	rounds, i := 0, 0
	for {
		for k := 0; k < 64; k++ {
			handle(i)
			i++
		}
		rounds += 64
		if now := time.Now(); !now.Before(next) {
			fmt.Printf("tick t_ns=%d rounds=%d\n", now.UnixNano(), rounds)
			rounds = 0
			next = next.Add(tick)
			if now.After(end) {
				return
			}
		}
	}
}
