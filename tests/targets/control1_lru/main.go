// control1_lru is leak4_cache done right: the same lookups of ever new keys, the same entries
// (a metadata map and a copy of the value each), but the cache is a bounded LRU that evicts the
// least recently used entry beyond -max-entries. Allocation goes on at the same rate; the retained
// bytes stop growing once the cache is full.
//
// Usage: control1_lru [-wait FILE] [-rate N] [-hit-ratio R] [-max-entries M] [-duration D]
// [-profile FILE -profile-after D] (other flags: goretain.test/targets/leakrun). Default 1000
// operations/s, M = 2000 (full after about 2.5 s).
//
// Markers ("want:" comments): <kind> control[-<what>] on the lines that allocate without
// leaking; no other allocation shares a marked line. The
// cache map keeps a bounded size, but inserts after deletes still add overflow buckets now and
// then, so its map.grow events continue at a low rate and the bytes it retains creep up for the
// first minutes, ever more slowly (measured at the default flags: 127 KB at 10 s, 185 KB at
// 55 s, 212 KB at 145 s); every other marked line is flat once the cache is full.
package main

import (
	"container/list"
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
	cache = map[string]*list.Element{} // bounded: at most -max-entries
	lru   = list.New()                 // front: most recently used

	payload    = make([]byte, 200)
	hitRatio   = flag.Float64("hit-ratio", 0.2, "fraction of lookups that hit a recent key")
	maxEntries = flag.Int("max-entries", 2000, "entries the cache keeps")
	misses     int
)

//go:noinline
func fetch(key string) *entry {
	e := &entry{Key: key, Fetched: time.Now()}
	e.Meta = make(map[string]string)      // want: map.make control
	e.Meta["source"] = "db"               // want: map.grow control-meta
	e.Value = append(e.Value, payload...) // want: slice.grow control
	return e
}

//go:noinline
func get(key string) *entry {
	if el, ok := cache[key]; ok {
		lru.MoveToFront(el)
		return el.Value.(*entry)
	}
	e := fetch(key)
	el := lru.PushFront(e)
	cache[key] = el // want: map.grow control
	for lru.Len() > *maxEntries {
		oldest := lru.Back()
		lru.Remove(oldest)
		delete(cache, oldest.Value.(*entry).Key)
	}
	return e
}

//go:noinline
func lookup(_, i int) {
	var key string
	if misses > 0 && float64(i%100) < *hitRatio*100 {
		// A recent key (among the last 1000 misses), mostly still cached.
		recent := misses
		if recent > 1000 {
			recent = 1000
		}
		key = "user:" + strconv.Itoa(misses-1-i%recent)
	} else {
		key = "user:" + strconv.Itoa(misses)
		misses++
	}
	get(key)
}

func main() {
	leakrun.Main(leakrun.Scenario{Name: "control1_lru", Rate: 1000, Op: lookup})
}
