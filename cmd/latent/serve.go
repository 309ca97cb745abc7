package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/serve"
)

// runServe implements `latent serve`: the latent-space explorer of a run in
// the browser, until Ctrl-C or SIGTERM.
func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "--run DIR [--addr 127.0.0.1:8080] [--method pca|tsne|umap] [--data X] [--limit N] [--backend B]", stderr)
	f := evalFlags(fs, true)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	method := fs.String("method", methodPCA, "the map's projection of a latent above 2 dimensions, as latent map's: pca, tsne or umap (seeded by --seed)")
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	if err := checkMethod(*method); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080", *addr)
	}
	srv, closeRun, err := openServeRun(f, *method, stderr)
	if err != nil {
		return err
	}
	defer closeRun()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", *addr, err)
	}
	if w := addrWarning(*addr); w != "" {
		fmt.Fprintln(stderr, w)
	}
	fmt.Fprintf(stdout, "serving the latent explorer of %s at http://%s/ (Ctrl-C to stop)\n", *f.run, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, ln, srv.Handler(), stdout)
}

// serveUntil serves h on ln until ctx ends, then shuts down gracefully:
// requests in flight get up to 5 seconds to finish.
func serveUntil(ctx context.Context, ln net.Listener, h http.Handler, stdout io.Writer) error {
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

// addrWarning is the warning for listening on addr (host:port), or "" when
// it is the loopback interface only: localhost or a loopback IP. An empty
// host is every interface.
func addrWarning(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err == nil && host == "localhost" {
		return ""
	}
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("warning: --addr %s can be reached from other machines, and the explorer has no authentication: anyone who can connect can use it", addr)
}

// openServeRun loads the run and its test split, opens the backend,
// compiles the decoder and evaluation graphs and prepares the explorer. The
// returned function frees them all.
func openServeRun(f evalCommon, method string, stderr io.Writer) (*serve.Server, func(), error) {
	s, set, test, err := openEvalSession(f, stderr)
	if err != nil {
		return nil, nil, err
	}
	if test.N < 2 {
		s.Close()
		return nil, nil, fmt.Errorf("--data %s: the map needs at least 2 test images, got %d", set.Name, test.N)
	}
	srv, err := serve.Open(serve.Source{Session: s.Session, Test: test, Data: set.Name, Classes: set.Classes, Batch: *f.batch},
		serve.Options{Seed: *f.seed, Map: method})
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return srv, func() { srv.Close(); s.Close() }, nil
}

// The explorer runs on the graphs every other command uses.
var (
	_ serve.Decoder = (*generate.Decoder)(nil)
	_ serve.Model   = (*eval.Model)(nil)
)
