package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/serve"
)

// serveBatch is the batch size the explorer's decoder is compiled for: a
// call holds up to this many concurrent requests' codes.
const serveBatch = 16

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
	fail := func(err error) (*serve.Server, func(), error) {
		s.close()
		return nil, nil, err
	}
	if test.N < 2 {
		return fail(fmt.Errorf("--data %s: the map needs at least 2 test images, got %d", set.Name, test.N))
	}
	model, err := s.evalModel(*f.batch)
	if err != nil {
		return fail(err)
	}
	model.Progress = nil
	dec, err := s.newDecoder(serveBatch)
	if err != nil {
		return fail(err)
	}
	classes := set.Classes
	if s.cfg.Conditional() && len(s.run.Config.Classes) > 0 {
		classes = s.run.Config.Classes // the names the run was trained on, which its labels mean
	}
	names, samplers, err := s.openSamplers()
	if err != nil {
		dec.Finalize()
		return fail(err)
	}
	closeSamplers := func() {
		for _, c := range samplers {
			c.Close()
		}
	}
	fmt.Fprintf(stderr, "encoding and scoring %d test images of %s\n", test.N, set.Name)
	srv, err := serve.New(serve.Run{Name: filepath.Base(s.run.Dir), Step: s.run.Step, Config: s.cfg,
		Decoder: dec, Model: model, Test: test, Classes: classes,
		Priors: names, Sample: func(name string, seed int64, label int) ([]float32, error) {
			return samplers[name].Sample(1, seed, 1, []int{label})
		}}, serve.Options{Seed: *f.seed, Map: method})
	if err != nil {
		closeSamplers()
		dec.Finalize()
		return fail(fmt.Errorf("--run %s: %w", s.run.Dir, err))
	}
	return srv, func() { srv.Close(); closeSamplers(); dec.Finalize(); s.close() }, nil
}

// openSamplers opens N(0, I) and every prior fitted to the run, each for
// one code at a time, and returns their names, N(0, I) first and the best
// last.
func (s *session) openSamplers() ([]string, map[string]prior.Sampler, error) {
	var names []string
	out := map[string]prior.Sampler{}
	for _, name := range prior.Available(s.run.Dir) {
		c, _, err := s.openSampler(name, defaultPriorSteps, 1)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, nil, err
		}
		names, out[name] = append(names, name), c
	}
	return names, out, nil
}

// The explorer runs on the graphs every other command uses.
var (
	_ serve.Decoder = (*generate.Decoder)(nil)
	_ serve.Model   = (*eval.Model)(nil)
)
