// Package timeout guards tests against code that hangs: opening a named
// pipe, waiting on a stalled server, a tick computation that never ends.
package timeout

import (
	"testing"
	"time"
)

// Within runs f, failing the test if it has not returned after d.
func Within(t testing.TB, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v", d)
	}
}
