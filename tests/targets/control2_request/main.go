// control2_request makes per-request maps and slices the way the leak scenarios do — an event map
// (leak1_maplist), a session map handed to a goroutine (leak2_goroutine), a decoded JSON batch
// that gets stamped (leak6_json), a batch carried by context.WithValue into a goroutine
// (leak7_context) — but drops them when the request is done: the event is serialized and
// forgotten, the goroutines exit (their channel is closed, their context cancelled), the decoded
// rows are summarized and forgotten. Allocation goes on; retained bytes stay flat.
//
// Usage: control2_request [-wait FILE] [-rate N] [-duration D] [-profile FILE -profile-after D]
// (all flags: goretain.test/targets/leakrun). Default 250 requests/s.
//
// Markers ("want:" comments): <kind> control[-<what>] on the lines that allocate without
// leaking; no other allocation shares a marked line.
// The go statements' lines also get slice.grow events in goretain's report, unmarked: the
// runtime's list of all goroutines (allgs) growing, on the system stack, attributed to the first
// frame outside the runtime. The runtime's own heap profile does not attribute them there.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"goretain.test/targets/leakrun"
)

type update struct {
	key string
	val int
}

type batchKey struct{}

var (
	paths    = []string{"/api/orders", "/api/users", "/api/cart", "/healthz"}
	sent     int64 // bytes of serialized events
	released int64 // batches released by cleanup goroutines
	total    float64
)

// event builds an event map, serializes it ("sends" it) and drops it.
//
//go:noinline
func event(i int) {
	ev := make(map[string]interface{}) // want: map.make control
	ev["status"] = 200                 // want: map.grow control
	ev["path"] = paths[i%len(paths)]
	ev["at"] = time.Now()
	ev["bytes"] = i
	b, err := json.Marshal(ev)
	if err != nil {
		fmt.Fprintf(os.Stderr, "control2_request: %v\n", err)
		os.Exit(1)
	}
	sent += int64(len(b))
}

// session hands a session map to a goroutine, sends it one update and closes the channel: the
// goroutine applies the update and exits.
//
//go:noinline
func session(i int) {
	s := make(map[string]int, 16) // want: map.make control-session
	s["request"] = i
	s["user"] = i % 97
	updates := make(chan update, 1)
	go func() {
		for u := range updates {
			s[u.key] = u.val
		}
	}()
	updates <- update{"done", 1}
	close(updates)
}

// cleanup waits until the request is over, then releases its batch.
//
//go:noinline
func cleanup(ctx context.Context) {
	<-ctx.Done()
	batch := ctx.Value(batchKey{}).([]map[string]string)
	atomic.AddInt64(&released, int64(len(batch)))
}

// batch carries a batch in a context to a goroutine, then cancels the context.
//
//go:noinline
func batch(i int) {
	var b []map[string]string
	for j := 0; j < 4; j++ {
		m := make(map[string]string, 10) // want: map.make control-batch
		m["item"] = strconv.Itoa(i*4 + j)
		m["state"] = "pending"
		b = append(b, m) // want: slice.grow control-batch
	}
	ctx, cancel := context.WithCancel(context.Background())
	go cleanup(context.WithValue(ctx, batchKey{}, b))
	cancel()
}

// ingest decodes a JSON body into rows, stamps them, sums them up and drops them.
//
//go:noinline
func ingest(i int) {
	body := fmt.Sprintf(`[{"id":%d,"user":"user-%d","action":"purchase","sku":"SKU-%05d",`+
		`"qty":1,"price":%d.99,"currency":"EUR","ok":true},{"id":%d,"user":"user-%d","action":"refund",`+
		`"sku":"SKU-%05d","qty":2,"price":%d.99,"currency":"EUR","ok":false}]`,
		i*2, i%977, i%50000, i%300, i*2+1, i%977, i%50000, i%300)
	var rows []map[string]interface{}
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		fmt.Fprintf(os.Stderr, "control2_request: %v\n", err)
		os.Exit(1)
	}
	var all []map[string]interface{}
	for _, row := range rows {
		row["ingested"] = true // want: map.grow control-json
		all = append(all, row) // want: slice.grow control
	}
	for _, row := range all {
		total += row["price"].(float64)
	}
}

//go:noinline
func handle(_, i int) {
	event(i)
	session(i)
	batch(i)
	ingest(i)
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "control2_request", Rate: 250, Op: handle})
}
