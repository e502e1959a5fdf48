// loadgen allocates from many goroutines at once: every goroutine performs exactly -per
// iterations of one make(map, hint), one small make(map) and one append that grows a nil slice,
// each at its own `// want:` line in its own non-inlined function, so a tracer's totals can be
// compared with goroutines*per under real concurrency (many CPUs hitting the probes together).
//
// Usage: loadgen [-wait FILE] [-goroutines N] [-per N] [-exit CODE]
// All goroutines are started first and blocked; once FILE exists (or at once without -wait) they
// are released together. After the WaitGroup it prints "loadgen: done" and exits with CODE.
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"

	"goretain.test/targets/internal/gate"
)

// slot is one goroutine's sink: storing through *slot makes every allocation escape to the heap.
type slot struct {
	hint  map[int]int
	small map[string]int
	slice []int64
	_     [64]byte // keep goroutines' slots on different cache lines
}

var slots []slot

//go:noinline
func makeMapWithHint(s *slot) {
	s.hint = make(map[int]int, 100) // want: map.make hint
}

//go:noinline
func makeSmallMap(s *slot) {
	s.small = make(map[string]int) // want: map.make small
}

//go:noinline
func appendOnce(s *slot, v int64) {
	x := s.slice[:0:0]
	x = append(x, v) // want: slice.grow once
	s.slice = x
}

//go:noinline
func worker(s *slot, per int, start <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	<-start
	for i := 0; i < per; i++ {
		makeMapWithHint(s)
		makeSmallMap(s)
		appendOnce(s, int64(i))
	}
}

func main() {
	wait := flag.String("wait", "", "poll until this file exists before allocating")
	goroutines := flag.Int("goroutines", 64, "allocating goroutines")
	per := flag.Int("per", 500, "iterations per goroutine (one allocation of each kind per iteration)")
	exitCode := flag.Int("exit", 0, "exit status after the work is done")
	flag.Parse()

	slots = make([]slot, *goroutines)
	start := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(*goroutines)
	for g := 0; g < *goroutines; g++ {
		go worker(&slots[g], *per, start, &wg)
	}
	gate.WaitFor(*wait)
	close(start)
	wg.Wait()
	fmt.Println("loadgen: done")
	os.Exit(*exitCode)
}
