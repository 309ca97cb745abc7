// Package pipenet is an in-memory network for tests of network timeouts
// under testing/synctest. Its connections are net.Pipe's, so a goroutine
// waiting on one is durably blocked and the bubble's fake clock moves on:
// a test of a 60-second timeout takes no real time.
package pipenet

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latent-vae/latent/internal/dialer"
)

// Time runs try in a testing/synctest bubble, connecting through dial to
// a new Listener that serve (nil: nothing accepts) serves, and returns
// how long try took on the bubble's fake clock, and its error.
func Time(t *testing.T, serve func(*Listener), try func(dial dialer.Func) error) (took time.Duration, err error) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		l := New()
		defer l.Close()
		if serve != nil {
			serve(l)
		}
		start := time.Now()
		err = try(l.Dial)
		took = time.Since(start)
	})
	return took, err
}

// Listener is an in-memory net.Listener. Dial connects to it, handing
// Accept the server's end of a new pipe; a listener that nobody accepts
// from never connects, until the dialer's context ends.
type Listener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	open  []net.Conn // both ends of every connection made
}

// New returns a listener. Under testing/synctest, create it inside the
// bubble, and Close it before the bubble ends.
func New() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Dial connects to l once Accept takes the connection; network and addr
// are ignored. It fails with ctx's error when ctx ends first.
func (l *Listener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		l.mu.Lock()
		l.open = append(l.open, client, server)
		l.mu.Unlock()
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Accept waits for a connection.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and Dial and closes both ends of every connection,
// so that the goroutines waiting on them return.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.open {
		c.Close()
	}
	return nil
}

// Silent accepts every connection and reads it, answering nothing, until
// l closes: a server that never answers a TLS handshake or a request.
func (l *Listener) Silent() {
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()
}

// Serve serves HTTP with h on l until l closes.
func (l *Listener) Serve(h http.HandlerFunc) {
	go (&http.Server{Handler: h}).Serve(l)
}

// Addr is the listener's address, a placeholder.
func (l *Listener) Addr() net.Addr { return addr{} }

type addr struct{}

func (addr) Network() string { return "pipe" }
func (addr) String() string  { return "pipe" }
