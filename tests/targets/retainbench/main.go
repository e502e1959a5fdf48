// retainbench is the retention benchmark's target: it keeps -objects small slices alive (each
// made by a tracked append), then runs garbage collections at -gc-rate per second for -duration
// while churning short-lived slices, so a tracer's liveness checks can be timed and its memory
// measured with many tracked objects.
//
// Usage: retainbench [-wait FILE] [-objects N] [-gc-rate R] [-duration D]
package main

import (
	"flag"
	"fmt"
	"runtime"
	"time"

	"goretain.test/targets/internal/gate"
)

var kept [][]int64

//go:noinline
func keep(i int) {
	var s []int64
	s = append(s, int64(i), int64(i)) // want: slice.grow kept
	kept = append(kept, s)
}

//go:noinline
func churn(i int) int {
	var s []int64
	for j := 0; j < 8; j++ {
		s = append(s, int64(i+j)) // want: slice.grow churn
	}
	return len(s)
}

func main() {
	wait := flag.String("wait", "", "poll until this file exists before allocating")
	objects := flag.Int("objects", 1000000, "objects kept alive")
	gcRate := flag.Float64("gc-rate", 2, "garbage collections per second after the build-up")
	duration := flag.Duration("duration", 10*time.Second, "how long to collect")
	flag.Parse()
	gate.WaitFor(*wait)
	kept = make([][]int64, 0, *objects)
	for i := 0; i < *objects; i++ {
		keep(i)
	}
	fmt.Printf("retainbench: %d objects kept\n", len(kept))
	interval := time.Duration(float64(time.Second) / *gcRate)
	end := time.Now().Add(*duration)
	cycles := 0
	for time.Now().Before(end) {
		next := time.Now().Add(interval)
		for i := 0; time.Now().Before(next); i++ {
			churn(i)
		}
		runtime.GC()
		cycles++
	}
	fmt.Printf("retainbench: %d collections, %d objects kept\n", cycles, len(kept))
}
