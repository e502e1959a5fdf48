// leak4_cache leaks the way a global cache without eviction does: lookups of ever new keys
// (user IDs, URLs, ...) fill a map[string]*entry that nothing ever prunes. Each entry carries its
// own metadata map and a copy of the fetched value.
//
// Usage: leak4_cache [-wait FILE] [-rate N] [-hit-ratio R] [-duration D]
// [-profile FILE -profile-after D] (other flags: goretain.test/targets/leakrun). Each operation is
// one lookup; a fraction R (default 0.2) of them hits an existing key. Default 1000 operations/s.
//
// Markers ("want:" comments): <kind> leak[-<what>] on every line whose allocations stay
// reachable; no other allocation shares a marked line. A trailing "steps": a container that
// grows by doubling, so what it retains rises in rare steps (it may go unflagged for a while).
// The cache map grows geometrically (plus overflow buckets), so its map.grow events get rarer
// over time: trace from the start (-wait) to see several.
package main

import (
	"flag"
	"strconv"
	"time"

	"goretain.test/targets/leakrun"
)

type entry struct {
	Key     string
	Fetched time.Time
	Meta    map[string]string
	Value   []byte
}

var (
	cache = map[string]*entry{} // LEAK: no eviction

	payload  = make([]byte, 200) // what the "backend" returns for every key
	hitRatio = flag.Float64("hit-ratio", 0.2, "fraction of lookups that hit an existing key")
	misses   int
)

//go:noinline
func fetch(key string) *entry {
	e := &entry{Key: key, Fetched: time.Now()}
	e.Meta = make(map[string]string)      // want: map.make leak
	e.Meta["source"] = "db"               // want: map.grow leak-meta
	e.Value = append(e.Value, payload...) // want: slice.grow leak
	return e
}

//go:noinline
func get(key string) *entry {
	if e, ok := cache[key]; ok {
		return e
	}
	e := fetch(key)
	cache[key] = e // want: map.grow leak steps
	return e
}

//go:noinline
func lookup(_, i int) {
	var key string
	if misses > 0 && float64(i%100) < *hitRatio*100 {
		key = "user:" + strconv.Itoa(i%misses) // an old key: a hit
	} else {
		key = "user:" + strconv.Itoa(misses) // a new key: a miss
		misses++
	}
	get(key)
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "leak4_cache", Rate: 1000, Op: lookup})
}
