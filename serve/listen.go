package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Until serves h on ln until ctx ends, then shuts down gracefully:
// requests in flight get up to 5 seconds to finish. It says "shut down"
// on stdout when it has.
func Until(ctx context.Context, ln net.Listener, h http.Handler, stdout io.Writer) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	fmt.Fprintln(stdout, "shut down")
	return nil
}

// AddrWarning is the warning for listening on addr (host:port), or "" when
// it is the loopback interface only: localhost or a loopback IP. An empty
// host is every interface.
func AddrWarning(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err == nil && host == "localhost" {
		return ""
	}
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("warning: --addr %s can be reached from other machines, and the explorer has no authentication: anyone who can connect can use it", addr)
}
