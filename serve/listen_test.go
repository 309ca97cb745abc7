package serve

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestAddrWarning: loopback addresses are quiet, every other one warns.
func TestAddrWarning(t *testing.T) {
	for addr, warn := range map[string]bool{"127.0.0.1:80": false, "localhost:0": false, "[::1]:8080": false,
		":8080": true, "0.0.0.0:1": true, "192.168.1.2:80": true} {
		if got := AddrWarning(addr); (got != "") != warn {
			t.Errorf("AddrWarning(%q) = %q, want a warning: %v", addr, got, warn)
		}
	}
}

// TestUntilShutsDown: Until answers until its context ends, then says so.
func TestUntilShutsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Until(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }), &out)
	}()
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil || strings.TrimSpace(out.String()) != "shut down" {
		t.Errorf("Until: %v, printed %q; want nil and shut down", err, out.String())
	}
}
