// Package gate lets a test target wait, before it allocates, until a tracer has attached: the
// test creates the file once goretain reports its probes attached.
package gate

import (
	"os"
	"time"
)

// WaitFor polls every 10 ms until path exists; an empty path returns at once.
func WaitFor(path string) {
	for path != "" {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
