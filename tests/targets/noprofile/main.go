// noprofile: a program that never references runtime.MemProfile (no net/http/pprof, no
// runtime/pprof), so its linker disables heap profiling and its runtime runs with
// runtime.MemProfileRate = 0. It keeps working (maps and slices, checked every round) and prints
// each round's result and its live MemProfileRate, so a test can see goretain's
// --enable-sampling take effect and the program still compute correctly
// (tests/e2e/enable_sampling_test.cpp).
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

var kept []map[int]int

// round builds a map and a slice and checks them: false if any value is wrong.
func round(n int) bool {
	m := make(map[int]int)
	var s []int
	for i := 0; i < n; i++ {
		m[i] = i * i
		s = append(s, i)
	}
	for _, i := range s {
		if m[i] != i*i {
			return false
		}
	}
	kept = append(kept, m)
	if len(kept) > 50 {
		kept = kept[1:]
	}
	return true
}

func main() {
	for r := 0; ; r++ {
		if !round(2000) {
			fmt.Println("round", r, "WRONG")
			os.Exit(1)
		}
		fmt.Printf("round %d ok rate %d\n", r, runtime.MemProfileRate)
		time.Sleep(20 * time.Millisecond)
	}
}
