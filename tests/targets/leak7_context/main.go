// leak7_context leaks the way a goroutine waiting on a context that is never cancelled does: each
// operation builds a batch ([]map[string]string), puts it in a context with context.WithValue and
// hands the context to a "cleanup" goroutine that waits for ctx.Done() before reading the batch.
// The context derives from context.Background(), whose Done channel is nil: the goroutine blocks
// forever and keeps the batch reachable.
//
// Usage: leak7_context [-wait FILE] [-rate N] [-duration D] [-profile FILE -profile-after D]
// (all flags: goretain.test/targets/leakrun). Default 200 operations/s of 4 maps each.
//
// Markers ("want:" comments): <kind> leak[-<what>] on every line whose allocations stay
// reachable; no other allocation shares a marked line.
// The go statement's line also gets slice.grow events in goretain's report, unmarked: the
// runtime's list of all goroutines (allgs) growing, on the system stack, attributed to the first
// frame outside the runtime. The runtime's own heap profile does not attribute them there.
package main

import (
	"context"
	"strconv"
	"sync/atomic"

	"goretain.test/targets/leakrun"
)

type batchKey struct{}

var released int64 // batches the cleanup goroutines released (never, here)

// cleanup waits until the request is over, then releases its batch.
//
//go:noinline
func cleanup(ctx context.Context) {
	<-ctx.Done()
	batch := ctx.Value(batchKey{}).([]map[string]string)
	atomic.AddInt64(&released, int64(len(batch)))
}

//go:noinline
func handle(_, i int) {
	var batch []map[string]string
	for j := 0; j < 4; j++ {
		m := make(map[string]string, 10) // want: map.make leak
		m["item"] = strconv.Itoa(i*4 + j)
		m["state"] = "pending"
		batch = append(batch, m) // want: slice.grow leak
	}
	ctx := context.WithValue(context.Background(), batchKey{}, batch)
	go cleanup(ctx)
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "leak7_context", Rate: 200, Op: handle})
}
