// leak9_queue leaks the way a slice used as a FIFO queue does when its consumer falls behind:
// jobs are pushed with append and popped by reslicing (q = q[1:]). Popping never frees anything:
// the popped jobs stay in the backing array (with everything they point to) until an append
// outgrows it, and because the consumer pops fewer jobs than are pushed, every reallocation is
// bigger than the last: the array keeps growing.
//
// Usage: leak9_queue [-wait FILE] [-rate N] [-pop-every K] [-duration D]
// [-profile FILE -profile-after D] (other flags: goretain.test/targets/leakrun). Each operation
// pushes one job and, every K-th operation (default 2), pops one. Default 1000 operations/s.
//
// Markers ("want:" comments): <kind> leak[-<what>] on every line whose allocations stay
// reachable; no other allocation shares a marked line. A trailing "steps": a container that
// grows by doubling, so what it retains rises in rare steps (it may go unflagged for a while).
// Note: q = q[1:] alone does not leak in Go — growslice copies only the live tail into the new
// array, so a queue whose length stays flat stays bounded (see control3_reuse) — what leaks here
// is the growing backlog; reslicing only delays freeing the popped jobs until the next growth.
// The queue grows geometrically, so its slice.grow events get rarer over time: trace from the
// start (-wait) to see several.
package main

import (
	"flag"
	"strconv"

	"goretain.test/targets/leakrun"
)

type job struct {
	ID   int64
	Tags map[string]string
	Body [48]byte
}

var (
	queue []job // LEAK: the backlog grows, and popped jobs stay in the backing array

	popEvery = flag.Int("pop-every", 2, "pop one job every K operations")
	done     int64
)

//go:noinline
func push(i int) {
	j := job{ID: int64(i)}
	tenant := "t" + strconv.Itoa(i%64)
	j.Tags = make(map[string]string) // want: map.make leak
	j.Tags["tenant"] = tenant        // want: map.grow leak
	queue = append(queue, j)         // want: slice.grow leak steps
}

//go:noinline
func pop() {
	if len(queue) == 0 {
		return
	}
	j := queue[0]
	queue = queue[1:]
	done += j.ID
}

//go:noinline
func operate(_, i int) {
	push(i)
	if k := *popEvery; k > 0 && i%k == 0 {
		pop()
	}
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "leak9_queue", Rate: 1000, Op: operate})
}
