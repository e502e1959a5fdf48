// Package leakrun is the driver shared by the leak scenarios (tests/targets/leak<N>_<name>/) and
// their controls (tests/targets/control<N>_<name>/): flags, the start gate, a steady operation
// rate, a memory cap, ground-truth profile snapshots, and a clean exit on SIGTERM.
//
// It has no main.go, so tests/targets/CMakeLists.txt builds no binary for it. Because CMake only
// tracks each target's own directory, editing this package does not rebuild the scenarios: touch
// their main.go (or rebuild from scratch) after changing it.
//
// Flags every scenario has:
//
//	-wait FILE            poll until FILE exists before the first operation (gate.WaitFor)
//	-rate N               operations per second (in total over all workers)
//	-duration D           stop after D (0: run until SIGTERM/SIGINT); both exit 0
//	-profile FILE         write the runtime's exact per-call-site heap profile (groundtruth) to FILE
//	-profile-after D      ... D after the gate opened (default 5s); it forces GCs, then keeps running
//	-profile-every P      ... and then every P again, to FILE.2, FILE.3, ... (0: only once)
//	-max-mb M             stop operating (keep running, idle) once heap + stacks exceed M MiB
//	-freeze               stop operating (keep running, idle) just before the first snapshot, so
//	                      the snapshot is what the program holds from then on
//	-gc-per-s R           also call runtime.GC() R times a second (0: only the runtime's own
//	                      collections), to judge a scenario at a high GC rate
//	-memprofilerate N     runtime.MemProfileRate from the gate on: 1 (the default, set by
//	                      groundtruth) records every allocation; 524288, Go's own default, is
//	                      what goretain --sample sees in production
//
// Each profile file is written under a temporary name and renamed into place, so a test can poll
// for it; a line "<name>: profile FILE ops=N elapsed_s=T" on stderr follows each snapshot. With
// -workers (concurrent scenarios only) N goroutines share the rate.
package leakrun

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"goretain.test/targets/internal/gate"
	"goretain.test/targets/internal/groundtruth"
)

// Scenario describes one program.
type Scenario struct {
	Name string
	// Rate is the default -rate, in operations per second.
	Rate int
	// Workers > 1 makes Op concurrent: that many goroutines call it, and -workers is a flag.
	Workers int
	// Setup, if set, runs once after the flags are parsed and before the gate (so what it
	// allocates is not traced when the tracer opens the gate).
	Setup func()
	// Op performs operation i (counted from 0 per worker) on worker w (0 unless Workers > 1).
	Op func(w, i int)
}

const tick = 10 * time.Millisecond

// Main parses the flags (scenario-specific ones must be defined before), runs the scenario and
// returns when it is over; the program then exits 0.
func Main(s Scenario) {
	wait := flag.String("wait", "", "poll until this file exists before the first operation")
	rate := flag.Int("rate", s.Rate, "operations per second")
	duration := flag.Duration("duration", 0, "stop after this long (0: until SIGTERM)")
	profile := flag.String("profile", "", "write the runtime's exact heap profile per call site here")
	profileAfter := flag.Duration("profile-after", 5*time.Second, "first -profile snapshot after this long")
	profileEvery := flag.Duration("profile-every", 0, "further snapshots (FILE.2, FILE.3, ...) this often")
	maxMB := flag.Float64("max-mb", 200, "stop allocating once heap plus goroutine stacks exceed this (MiB)")
	freeze := flag.Bool("freeze", false, "stop allocating just before the first -profile snapshot")
	gcPerS := flag.Float64("gc-per-s", 0, "runtime.GC() calls per second (0: none)")
	memRate := flag.Int("memprofilerate", 1, "runtime.MemProfileRate from the gate on")
	workers := s.Workers
	if s.Workers > 1 {
		flag.IntVar(&workers, "workers", s.Workers, "goroutines performing operations concurrently")
	}
	flag.Parse()
	if workers < 1 {
		workers = 1
	}
	if *rate < 1 {
		fmt.Fprintf(os.Stderr, "%s: -rate must be at least 1\n", s.Name)
		os.Exit(2)
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	if s.Setup != nil {
		s.Setup()
	}

	runtime.MemProfileRate = *memRate
	gate.WaitFor(*wait)
	start := time.Now()
	fmt.Fprintf(os.Stderr, "%s: pid %d, %d operations/s, %d worker(s)\n", s.Name, os.Getpid(), *rate, workers)

	if *gcPerS > 0 {
		go collect(*gcPerS)
	}
	var ops atomic.Int64
	var capped atomic.Bool
	for w := 0; w < workers; w++ {
		// Worker w performs its share of the rate: the operations due by now, at most one second's
		// worth at once (after a pause such as a profile snapshot).
		share := float64(*rate) / float64(workers)
		go func(w int) {
			t := time.NewTicker(tick)
			done := 0
			for range t.C {
				if capped.Load() {
					continue
				}
				due := int(share * time.Since(start).Seconds())
				if due-done > int(share)+1 {
					done = due - int(share) - 1
				}
				for ; done < due; done++ {
					s.Op(w, done)
					ops.Add(1)
				}
			}
		}(w)
	}

	var deadline <-chan time.Time
	if *duration > 0 {
		deadline = time.After(*duration)
	}
	var snapshot <-chan time.Time
	if *profile != "" {
		snapshot = time.After(*profileAfter)
	}
	snapshots := 0
	memCheck := time.NewTicker(250 * time.Millisecond)
	defer memCheck.Stop()
	for {
		select {
		case <-stop:
			fmt.Fprintf(os.Stderr, "%s: stopping after %d operations\n", s.Name, ops.Load())
			return
		case <-deadline:
			fmt.Fprintf(os.Stderr, "%s: done after %d operations\n", s.Name, ops.Load())
			return
		case <-snapshot:
			snapshots++
			path := *profile
			if snapshots > 1 {
				path += "." + strconv.Itoa(snapshots)
			}
			if *freeze && !capped.Load() {
				capped.Store(true)
				time.Sleep(3 * tick) // let operations in flight finish
			}
			n := ops.Load()
			if err := writeProfile(path); err != nil {
				fmt.Fprintf(os.Stderr, "%s: profile: %v\n", s.Name, err)
				os.Exit(1)
			}
			fmt.Fprintf(os.Stderr, "%s: profile %s ops=%d elapsed_s=%.3f\n", s.Name, path, n,
				time.Since(start).Seconds())
			snapshot = nil
			if *profileEvery > 0 {
				snapshot = time.After(*profileEvery)
			}
		case <-memCheck.C:
			if capped.Load() {
				continue
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if mb := float64(ms.HeapAlloc+ms.StackInuse) / (1 << 20); mb > *maxMB {
				capped.Store(true)
				fmt.Fprintf(os.Stderr, "%s: %.0f MiB in use (above -max-mb %.0f) after %d operations: no longer allocating\n",
					s.Name, mb, *maxMB, ops.Load())
			}
		}
	}
}

// collect calls runtime.GC() perSecond times a second, forever (a loaded machine that falls
// behind skips the missed calls rather than catching up in a burst).
func collect(perSecond float64) {
	interval := time.Duration(float64(time.Second) / perSecond)
	next := time.Now()
	for {
		next = next.Add(interval)
		if late := time.Since(next); late > time.Second {
			next = time.Now()
		}
		time.Sleep(time.Until(next))
		runtime.GC()
	}
}

// writeProfile writes the ground truth to a temporary file, then renames it to path.
func writeProfile(path string) error {
	tmp := path + ".tmp"
	if err := groundtruth.Write(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
