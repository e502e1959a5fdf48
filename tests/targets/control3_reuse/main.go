// control3_reuse appends to slices the way leak1_maplist and leak9_queue do, without leaking:
//   - events are appended to a buffer that is flushed every -flush-every events and reused with
//     buf = buf[:0] (after clearing its elements, so flushed events are not kept reachable);
//   - jobs are queued and popped as fast as they come (in bursts), and the emptied queue is reused
//     with q = q[:0] instead of q = q[1:] forever;
//   - each operation also builds a small per-request slice of log lines that is dropped.
//
// The reused buffers only grow until they reach their high-water mark (within the first second),
// so their slice.grow lines appear only when the tracer attached before the first operation
// (-wait); the per-request slice and the per-event and per-job maps allocate all the time.
//
// Usage: control3_reuse [-wait FILE] [-rate N] [-flush-every K] [-duration D]
// [-profile FILE -profile-after D] (other flags: goretain.test/targets/leakrun). Default 1000
// operations/s, K = 256.
//
// Markers ("want:" comments): <kind> control[-<what>] on the lines that allocate without
// leaking; no other allocation shares a marked line.
package main

import (
	"flag"
	"strconv"
	"strings"
	"time"

	"goretain.test/targets/leakrun"
)

type job struct {
	ID   int64
	Tags map[string]string
	Body [48]byte
}

var (
	events []map[string]interface{} // reused: flushed every -flush-every events
	queue  []job                    // reused: emptied in bursts
	head   int                      // next job to pop

	flushEvery = flag.Int("flush-every", 256, "events buffered before a flush")
	flushed    int
	done       int64
	written    int
)

//go:noinline
func record(i int) {
	ev := make(map[string]interface{}) // want: map.make control
	ev["status"] = 200                 // want: map.grow control
	ev["at"] = time.Now()
	ev["bytes"] = i
	events = append(events, ev) // want: slice.grow control-buffer
	if len(events) >= *flushEvery {
		flushed += len(events)
		for k := range events {
			events[k] = nil
		}
		events = events[:0]
	}
}

//go:noinline
func push(i int) {
	j := job{ID: int64(i)}
	tenant := "t" + strconv.Itoa(i%64)
	j.Tags = make(map[string]string) // want: map.make control-job
	j.Tags["tenant"] = tenant        // want: map.grow control-job
	queue = append(queue, j)         // want: slice.grow control-queue
}

//go:noinline
func drain() {
	for head < len(queue) {
		done += queue[head].ID
		queue[head] = job{}
		head++
	}
	queue = queue[:0]
	head = 0
}

//go:noinline
func logLines(i int) {
	var lines []string
	for k := 0; k < 3; k++ {
		line := "step " + strconv.Itoa(k)
		lines = append(lines, line) // want: slice.grow control
	}
	written += len(strings.Join(lines, "\n")) + i%2
}

//go:noinline
func operate(_, i int) {
	record(i)
	push(i)
	if i%64 == 63 {
		drain()
	}
	logLines(i)
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "control3_reuse", Rate: 1000, Op: operate})
}
