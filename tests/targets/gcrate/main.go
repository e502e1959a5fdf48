// gcrate leaks at a set pace under heavy per-request churn, at a set garbage-collection rate: the
// leak signal must not depend on how often the program collects (issue 10).
//
//   - the leak: a session cache without eviction; every session keeps a 1 KiB token made by an
//     append, -leak-kib-per-s of them a second (0: no leak, the program is a control);
//   - the churn: -requests-per-s requests, each building a header map, a list of fields and a
//     scratch buffer, all dropped when the request is done;
//   - a bounded cache (-cache-entries, 0: none; one entry per request) that fills up, then
//     replaces its oldest entry with every new one: it plateaus;
//   - collections: runtime.GC() -gc-per-s times a second (0: only the runtime's own; run with
//     GOGC=off and a low rate for rare collections, or a high rate for 50+ cycles a second).
//
// Usage: gcrate [-wait FILE] [-leak-kib-per-s N] [-requests-per-s N] [-cache-entries N]
// [-gc-per-s R] [-duration D]. It prints "gcrate: N collections" when it stops.
//
// Markers ("want:" comments): slice.grow leak on the leaking line; <kind> control-<what> on lines
// that allocate without leaking ("steps": the ring's own array, which doubles while it fills).
// No other allocation shares a marked line.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"goretain.test/targets/internal/gate"
)

var (
	sessions = map[int][]byte{} // LEAK: never pruned
	token    = make([]byte, 1024)

	cache [][]byte
)

//go:noinline
func openSession(id int) {
	t := append([]byte(nil), token...) // want: slice.grow leak
	sessions[id] = t
}

//go:noinline
func request(i int) int {
	headers := make(map[string]string, 12) // want: map.make control-headers
	headers["path"] = "/api/" + strconv.Itoa(i%50)
	headers["user"] = strconv.Itoa(i % 977)
	var fields []string
	for j := 0; j < 6; j++ {
		fields = append(fields, headers["path"]) // want: slice.grow control-fields
	}
	scratch := append([]byte(nil), token[:512]...) // want: slice.grow control-scratch
	return len(headers) + len(fields) + len(scratch)
}

// cachePut stores a value in a ring of max slots: the cache fills up, then each new value
// replaces the oldest. (Not a map with deletes: a classic Go map whose keys keep changing gathers
// overflow buckets for a while before a same-size grow sheds them, a slow rise of its own.)
//
//go:noinline
func cachePut(i, max int) {
	v := append([]byte(nil), token[:256]...) // want: slice.grow control-cache
	if len(cache) < max {
		cache = append(cache, v) // want: slice.grow control-cache-ring steps
	} else {
		cache[i%max] = v
	}
}

// collect runs runtime.GC() perSecond times a second until stop closes; returns the count.
func collect(perSecond float64, stop <-chan struct{}, done chan<- int) {
	n := 0
	if perSecond > 0 {
		interval := time.Duration(float64(time.Second) / perSecond)
		next := time.Now().Add(interval)
		for {
			select {
			case <-stop:
				done <- n
				return
			case <-time.After(time.Until(next)):
			}
			runtime.GC()
			n++
			next = next.Add(interval)
			if time.Until(next) < -time.Second { // fell behind (a loaded machine): do not burst
				next = time.Now().Add(interval)
			}
		}
	}
	<-stop
	done <- n
}

func main() {
	wait := flag.String("wait", "", "poll until this file exists before allocating")
	leakKiB := flag.Float64("leak-kib-per-s", 32, "KiB leaked per second (1 KiB sessions)")
	requests := flag.Float64("requests-per-s", 2000, "short-lived requests per second")
	cacheEntries := flag.Int("cache-entries", 0, "bound of a cache that fills, then evicts (0: none)")
	gcPerS := flag.Float64("gc-per-s", 0, "runtime.GC() calls per second (0: none)")
	duration := flag.Duration("duration", 0, "stop after this long (0: until SIGTERM)")
	flag.Parse()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	gate.WaitFor(*wait)

	stop := make(chan struct{})
	gcDone := make(chan int)
	go collect(*gcPerS, stop, gcDone)
	start := time.Now()
	var end <-chan time.Time
	if *duration > 0 {
		end = time.After(*duration)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	leaked, served, cached := 0, 0, 0
	for {
		select {
		case <-sig:
		case <-end:
		case <-tick.C:
			// The operations due by now, at most one second's worth at once.
			el := time.Since(start).Seconds()
			for due := int(*leakKiB * el); leaked < due; leaked++ {
				openSession(leaked)
			}
			due := int(*requests * el)
			if due-served > int(*requests)+1 {
				served = due - int(*requests) - 1
			}
			for ; served < due; served++ {
				request(served)
				if *cacheEntries > 0 {
					cachePut(cached, *cacheEntries)
					cached++
				}
			}
			continue
		}
		break
	}
	close(stop)
	fmt.Fprintf(os.Stderr, "gcrate: %d collections, %d sessions, %d requests\n", <-gcDone, leaked,
		served)
}
