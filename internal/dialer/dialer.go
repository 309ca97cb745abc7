// Package dialer opens network connections within a time limit, over TCP
// or, in tests, over whatever connects (an in-memory network whose waits a
// fake clock can time).
package dialer

import (
	"context"
	"net"
	"time"
)

// Func opens a connection to addr, as net.Dialer.DialContext does.
type Func func(ctx context.Context, network, addr string) (net.Conn, error)

// Within returns dial bounded to d: a connection not made within d fails
// with dial's error for its context's deadline (net's "i/o timeout").
func Within(d time.Duration, dial Func) Func {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return dial(ctx, network, addr)
	}
}
