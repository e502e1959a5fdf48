// leakydemo is the program scripts/demo.sh traces: a small request-handling "service" with two
// realistic leaks and one well-behaved allocation, at a modest, steady rate.
//
// Leaks (memory that is allocated per request and never released):
//   - traceIndex, a global map from trace ID to *Trace that nothing ever prunes: every new trace
//     makes a tags map (map.make) and inserts into the index (which keeps growing: map.grow), and
//     every span is appended to its trace (slice.grow);
//   - auditLog, a global []map[string]interface{} that every request appends an entry map to.
//
// Control (not a leak): the per-request header map is dropped when the request is done.
//
// Garbage: like a real service, each request renders a response into a fresh buffer (-response-kb,
// default 4 KiB: 2 MB/s at the default rate) that is dropped once the next one is made. That
// garbage, with the leaks, paces the GC: a cycle every 0.6-2.5 s over the first 15 s (the leaked
// heap stretches the interval), so the retention checks (one per cycle) make a leak signal within
// the demo's seconds. (Without it, the runtime's 4 MiB minimum heap allowed 3 cycles in 12 s.) A
// fixed-capacity make([]byte) is not a map or slice growth: it is not among goretain's call sites.
//
// Usage: leakydemo [-wait FILE] [-rate N] [-duration D] [-max-mb M] [-response-kb K]
// Serves -rate requests per second (default 500, i.e. a few thousand allocations per second) until
// -duration has passed (0: forever). So that it can run unattended, when the leaked state exceeds
// -max-mb (approximately) the service "restarts" by dropping it and says so on stderr.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"goretain.test/targets/internal/gate"
)

// Span is one timed operation inside a trace.
type Span struct {
	Name  string
	Start time.Time
	Dur   time.Duration
}

// Trace is everything the service remembers about one trace ID.
type Trace struct {
	ID    string
	Tags  map[string]string
	Spans []Span
}

// Request is one incoming call.
type Request struct {
	ID      int
	TraceID string
	Path    string
	User    string
}

var (
	// LEAK: never pruned.
	traceIndex = map[string]*Trace{}
	// LEAK: appended to forever.
	auditLog []map[string]interface{}

	served   int
	restarts int

	// The latest response: each one is garbage once the next is rendered.
	lastResponse  []byte
	responseBytes = 4 << 10
)

// lookupTrace returns the trace for id, creating it on first use. Nothing ever deletes a trace.
//
//go:noinline
func lookupTrace(id string, req *Request) *Trace {
	if t, ok := traceIndex[id]; ok {
		return t
	}
	t := &Trace{ID: id}
	t.Tags = make(map[string]string, 16) // want: map.make trace-tags
	t.Tags["path"] = req.Path
	t.Tags["user"] = req.User
	traceIndex[id] = t // want: map.grow trace-index
	return t
}

// recordSpan appends a finished span to its trace; the trace is never flushed.
//
//go:noinline
func recordSpan(t *Trace, name string, start time.Time) {
	t.Spans = append(t.Spans, Span{Name: name, Start: start, Dur: time.Since(start)}) // want: slice.grow spans
}

// audit keeps a structured record of every request, forever.
//
//go:noinline
func audit(req *Request, status int) {
	entry := make(map[string]interface{}, 12) // want: map.make audit-entry
	entry["id"] = req.ID
	entry["trace"] = req.TraceID
	entry["path"] = req.Path
	entry["user"] = req.User
	entry["status"] = status
	entry["at"] = time.Now()
	auditLog = append(auditLog, entry) // want: slice.grow audit-log
}

// parseHeaders builds a per-request map that is garbage once the request is done (not a leak).
//
//go:noinline
func parseHeaders(req *Request) map[string]string {
	h := make(map[string]string)             // want: map.make control-headers
	h["x-request-id"] = strconv.Itoa(req.ID) // want: map.grow control-first-bucket
	h["x-trace-id"] = req.TraceID
	return h
}

// render builds the response body in a fresh buffer of fixed capacity (no growth).
//
//go:noinline
func render(req *Request, status int) []byte {
	buf := make([]byte, 0, responseBytes)
	buf = strconv.AppendInt(buf, int64(status), 10)
	buf = append(buf, ' ')
	buf = append(buf, req.Path...)
	return buf
}

//go:noinline
func handle(req *Request) int {
	start := time.Now()
	headers := parseHeaders(req)
	t := lookupTrace(headers["x-trace-id"], req)
	recordSpan(t, "auth", start)
	recordSpan(t, "db.query", start)
	status := 200
	if req.ID%97 == 0 {
		status = 500
	}
	lastResponse = render(req, status)
	recordSpan(t, "render", start)
	audit(req, status)
	served++
	return status
}

func leakedMB() float64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

func main() {
	wait := flag.String("wait", "", "poll until this file exists before serving")
	rate := flag.Int("rate", 500, "requests per second")
	duration := flag.Duration("duration", 0, "stop after this long (0: run until killed)")
	garbageKB := flag.Int("response-kb", responseBytes>>10, "size of each request's response buffer (garbage)")
	maxMB := flag.Float64("max-mb", 256, "drop the leaked state (a simulated restart) above this heap size")
	flag.Parse()
	responseBytes = *garbageKB << 10
	gate.WaitFor(*wait)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	var deadline <-chan time.Time
	if *duration > 0 {
		deadline = time.After(*duration)
	}

	fmt.Fprintf(os.Stderr, "leakydemo: pid %d serving %d requests/s\n", os.Getpid(), *rate)
	const tick = 10 * time.Millisecond
	perTick := *rate / int(time.Second/tick)
	if perTick < 1 {
		perTick = 1
	}
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	users := []string{"alice", "bob", "carol", "dave", "erin"}
	paths := []string{"/api/orders", "/api/users", "/api/cart", "/healthz"}
	next := 0
	lastReport := time.Now()
	for {
		select {
		case <-stop:
			fmt.Fprintf(os.Stderr, "leakydemo: stopping after %d requests\n", served)
			return
		case <-deadline:
			fmt.Fprintf(os.Stderr, "leakydemo: done after %d requests\n", served)
			return
		case <-ticker.C:
		}
		for i := 0; i < perTick; i++ {
			next++
			req := &Request{
				ID: next,
				// A new trace every 4 requests: the index gains ~rate/4 entries per second.
				TraceID: "trace-" + strconv.Itoa(next/4),
				Path:    paths[next%len(paths)],
				User:    users[next%len(users)],
			}
			handle(req)
		}
		if time.Since(lastReport) >= 5*time.Second {
			lastReport = time.Now()
			mb := leakedMB()
			fmt.Fprintf(os.Stderr, "leakydemo: %d requests, %d traces, %d audit entries, heap %.1f MiB\n",
				served, len(traceIndex), len(auditLog), mb)
			if mb > *maxMB {
				traceIndex = map[string]*Trace{}
				auditLog = nil
				restarts++
				fmt.Fprintf(os.Stderr, "leakydemo: heap above %.0f MiB, simulated restart #%d\n", *maxMB, restarts)
			}
		}
	}
}
