// leak6_json leaks the way an ingestion endpoint that keeps what it decoded does: each operation
// unmarshals a JSON array of objects with encoding/json into a []map[string]interface{}, stamps
// every row with a ninth key (the row's map grows) and appends the rows to a global slice forever.
//
// Usage: leak6_json [-wait FILE] [-rate N] [-rows R] [-duration D]
// [-profile FILE -profile-after D] (other flags: goretain.test/targets/leakrun). Default 250
// operations/s of R (default 4) rows each.
//
// Markers ("want:" comments): <kind> leak[-<what>] on every line whose allocations stay
// reachable; no other allocation shares a marked line. A trailing "steps": a container that
// grows by doubling, so what it retains rises in rare steps (it may go unflagged for a while).
// encoding/json makes each row's map and its first bucket at call sites outside this file, which
// goretain names reflect.makemap and reflect.mapassign_faststr (runtime/map.go: runtime functions
// linknamed into reflect). The headers stay reachable; the first buckets do not: the marked line's
// growth evacuates them. The kept slice grows geometrically, so its slice.grow events get rarer
// over time: trace from the start (-wait).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"goretain.test/targets/leakrun"
)

var (
	kept []map[string]interface{} // LEAK: everything ever ingested

	rows = flag.Int("rows", 4, "objects per JSON body")
)

// body returns operation i's request body: rows objects of exactly eight keys each.
func body(i int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for r := 0; r < *rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"user":"user-%d","action":"purchase","sku":"SKU-%05d",`+
			`"qty":%d,"price":%d.99,"currency":"EUR","ok":true}`, i*100+r, i%977, i%50000, 1+r, i%300)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

//go:noinline
func ingest(_, i int) {
	var batch []map[string]interface{}
	if err := json.Unmarshal(body(i), &batch); err != nil {
		fmt.Fprintf(os.Stderr, "leak6_json: %v\n", err)
		os.Exit(1)
	}
	for _, row := range batch {
		row["ingested"] = true // want: map.grow leak
	}
	kept = append(kept, batch...) // want: slice.grow leak steps
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "leak6_json", Rate: 250, Op: ingest})
}
