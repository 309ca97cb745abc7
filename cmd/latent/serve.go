package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/serve"
	"github.com/latent-vae/latent/vae"
)

// serveCommand defines `latent serve`'s flags on fs and returns its body, runServe.
func serveCommand(fs *pflag.FlagSet) cli.RunFunc {
	f := evalFlags(fs, true)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	method := fs.String("method", vae.MapPCA, "the map's projection of a latent above 2 dimensions, as latent map's: pca, tsne or umap (seeded by --seed)")
	return func(_ []string, stdout, stderr io.Writer) error { return runServe(stdout, stderr, f, *addr, *method) }
}

// runServe implements `latent serve`: the latent-space explorer of a run in
// the browser, until Ctrl-C or SIGTERM.
func runServe(stdout, stderr io.Writer, f evalCommon, addr, method string) error {
	if err := f.check(); err != nil {
		return err
	}
	if err := vae.CheckMapMethod(method); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	srv, closeRun, err := openServeRun(f, method, stderr)
	if err != nil {
		return err
	}
	defer closeRun()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	if w := serve.AddrWarning(addr); w != "" {
		fmt.Fprintln(stderr, w)
	}
	fmt.Fprintf(stdout, "serving the latent explorer of %s at http://%s/ (Ctrl-C to stop)\n", *f.run, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve.Until(ctx, ln, srv.Handler(), stdout)
}

// openServeRun loads the run and its test split, opens the backend,
// compiles the decoder and evaluation graphs and prepares the explorer. The
// returned function frees them all.
func openServeRun(f evalCommon, method string, stderr io.Writer) (*serve.Server, func(), error) {
	s, set, test, err := f.open(stderr)
	if err != nil {
		return nil, nil, err
	}
	if test.N < 2 {
		s.Close()
		return nil, nil, fmt.Errorf("--data %s: the map needs at least 2 test images, got %d", set.Name, test.N)
	}
	srv, err := serve.Open(serve.Source{Session: s, Test: test, Data: set.Name, Classes: set.Classes, Batch: *f.batch},
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
