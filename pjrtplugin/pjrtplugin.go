// Package pjrtplugin installs the XLA CPU PJRT plugin that latent's XLA
// backend loads: it finds Google's pinned xla-cpu-pjrt wheel on a Python
// package index (PyPI by default), downloads it, checks its SHA-256, and
// extracts the plugin into the folder go-xla searches,
// ~/.local/lib/go-xla/pjrt_c_api_cpu_plugin.so. Nothing but the Go standard
// library is needed: no pip, no unzip.
//
// An install is idempotent: a stamp file beside the plugin names the pinned
// wheel, and a folder holding both is left alone without touching the network.
package pjrtplugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/latent-vae/latent/internal/atomicfile"
	"github.com/latent-vae/latent/internal/dialer"
)

// The pinned wheel and what is taken from it.
const (
	Package     = "xla-cpu-pjrt"
	Version     = "0.0.1"
	WheelFile   = "xla_cpu_pjrt-0.0.1-py3-none-manylinux_2_27_x86_64.whl"
	WheelSHA256 = "55837b6b7b47daa717f2d9a5a03563ea0ceaa338d06a81a1e2d3f060d960decc"
	Member      = "xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so" // the plugin inside the wheel
	PluginName  = "pjrt_c_api_cpu_plugin.so"                 // the name go-xla looks for
	// StampName marks a folder where this pin was installed; the Makefile's
	// set-up checks the same file.
	StampName = "." + Package + "-" + Version + ".installed"
)

// DefaultIndexURL is PyPI's simple index (PEP 503/691), as pip's --index-url.
const DefaultIndexURL = "https://pypi.org/simple"

// Default limits of an install.
const (
	DefaultTimeout        = 15 * time.Minute // the whole install, download included
	DefaultConnectTimeout = 30 * time.Second // connecting, TLS handshake, waiting for response headers
	DefaultStallTimeout   = 60 * time.Second // a download receiving nothing for this long is abandoned
)

// Options say where and from where to install. The zero value installs the
// pinned wheel from PyPI into DefaultDir.
type Options struct {
	Dir      string        // destination folder; empty: DefaultDir()
	IndexURL string        // simple index base URL; empty: DefaultIndexURL
	Client   *http.Client  // empty: a client with DefaultConnectTimeout
	Timeout  time.Duration // the whole install; 0: DefaultTimeout
	// StallTimeout abandons a download that receives nothing for this long; 0: DefaultStallTimeout.
	StallTimeout time.Duration
	// SHA256 is the expected checksum of the wheel (hex); empty: WheelSHA256.
	SHA256 string
	Force  bool      // reinstall even when the stamp says it is installed
	Log    io.Writer // progress lines; nil for none
	// Progress, when not nil, is written every byte downloaded (a progress bar).
	Progress io.Writer

	dial dialer.Func // what the default client connects with; nil: TCP (tests use an in-memory network)
}

// Result says what Install did.
type Result struct {
	Path             string // the installed plugin
	AlreadyInstalled bool   // true when nothing was done
	WheelURL         string // where the wheel came from
	WheelBytes       int64  // size of the downloaded wheel
}

// DefaultDir is ~/.local/lib/go-xla, where go-xla looks for PJRT plugins.
func DefaultDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the home folder: %w", err)
	}
	return filepath.Join(home, ".local", "lib", "go-xla"), nil
}

// Install puts the XLA CPU plugin into opt.Dir, unless it is there already
// (then it returns at once with AlreadyInstalled set). On any failure nothing
// new is left in opt.Dir and an installed plugin is kept.
func Install(ctx context.Context, opt Options) (Result, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return Result{}, err
	}
	res := Result{Path: filepath.Join(opt.Dir, PluginName)}
	stamp := filepath.Join(opt.Dir, StampName)
	if !opt.Force && isFile(res.Path) && isFile(stamp) {
		res.AlreadyInstalled = true
		return res, nil
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return res, fmt.Errorf("creating %s: %w", opt.Dir, err)
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	pin := Wheel{Package: Package, Version: Version, File: WheelFile, SHA256: opt.SHA256}
	f := fetcher{opt: opt, advice: offline(opt.Dir)}
	w, err := f.find(ctx, pin)
	if err != nil {
		return res, err
	}
	res.WheelURL = w.url
	wheel, n, err := f.download(ctx, pin, w, opt.Dir)
	if err != nil {
		return res, err
	}
	defer removeTemp(wheel)
	res.WheelBytes = n
	if err := extract(wheel, res.Path, opt.Dir); err != nil {
		return res, err
	}
	content := fmt.Sprintf("%s %s %s sha256:%s\n", Package, Version, WheelFile, opt.SHA256)
	if err := atomicfile.WriteBytes(stamp, []byte(content)); err != nil {
		return res, err
	}
	return res, nil
}

func (opt Options) withDefaults() (Options, error) {
	if opt.Dir == "" {
		dir, err := DefaultDir()
		if err != nil {
			return opt, err
		}
		opt.Dir = dir
	}
	if opt.IndexURL == "" {
		opt.IndexURL = DefaultIndexURL
	}
	if opt.Client == nil {
		opt.Client = newClient(DefaultConnectTimeout, opt.dial)
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.StallTimeout <= 0 {
		opt.StallTimeout = DefaultStallTimeout
	}
	if opt.SHA256 == "" {
		opt.SHA256 = WheelSHA256
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	return opt, nil
}

// newClient has no overall deadline (the download is large; Install's
// context bounds it) but gives up on a server that does not connect or
// answer. dial connects (nil: TCP).
func newClient(connect time.Duration, dial dialer.Func) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.Within(connect, dial),
		TLSHandshakeTimeout:   connect,
		ResponseHeaderTimeout: connect,
		ForceAttemptHTTP2:     true,
	}}
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// offline is the advice for a machine that cannot download the wheel.
func offline(dir string) string {
	return fmt.Sprintf("on a machine without network, copy %s from a machine that has it into %s, "+
		"or set PJRT_PLUGIN_LIBRARY_PATH to a folder holding it", PluginName, dir)
}

// timedOut reports whether err is a deadline, to name the timeout in errors.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
