// httpserver is the overhead benchmark's real HTTP server and its load client, in one binary run
// as two processes (only the server is traced).
//
// Server: httpserver -serve -portfile FILE. A net/http server on a kernel-chosen loopback port
// (written to FILE once listening) with net/http/pprof's handlers, so its runtime samples the heap
// at Go's default rate as a production server with /debug/pprof does. GET /orders?n=N builds an
// order list the way a JSON API does (maps per record, appended slices, a JSON encoding) and keeps
// the last few responses in a small bounded cache.
//
// Client: httpserver -load URL -requests N -conns C. N requests over C keep-alive connections,
// as fast as the server answers (a bounded, closed-loop load); prints
// "httpserver: requests=N elapsed_ms=T rps=R p99_us=P".
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

var (
	cacheMu sync.Mutex
	cache   [][]byte
)

func orders(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	if n <= 0 || n > 1000 {
		n = 20
	}
	var list []map[string]interface{}
	for i := 0; i < n; i++ {
		item := map[string]interface{}{"id": i, "sku": "sku-" + strconv.Itoa(i), "qty": i % 7}
		list = append(list, item)
	}
	body, _ := json.Marshal(map[string]interface{}{"orders": list, "count": n})
	cacheMu.Lock()
	cache = append(cache, body)
	if len(cache) > 64 {
		cache = cache[len(cache)-64:]
	}
	cacheMu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func serve(portfile string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/orders", orders)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(portfile+".tmp", []byte(port), 0o644); err == nil {
		os.Rename(portfile+".tmp", portfile)
	}
	fmt.Fprintln(os.Stderr, http.Serve(ln, nil))
}

func load(url string, requests, conns int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
	lat := make([]time.Duration, requests)
	var next int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= int64(requests) {
					return
				}
				t := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	p99 := lat[len(lat)*99/100]
	fmt.Printf("httpserver: requests=%d elapsed_ms=%.1f rps=%.0f p99_us=%d\n", requests,
		float64(elapsed.Microseconds())/1000, float64(requests)/elapsed.Seconds(), p99.Microseconds())
}

func main() {
	server := flag.Bool("serve", false, "run the server")
	portfile := flag.String("portfile", "", "server: write the listening port here")
	url := flag.String("load", "", "client: GET this URL")
	requests := flag.Int("requests", 20000, "client: requests in all")
	conns := flag.Int("conns", 4, "client: concurrent connections")
	flag.Parse()
	if *server {
		serve(*portfile)
		return
	}
	load(*url, *requests, *conns)
}
