// Package download holds what latent's downloads share (`latent data
// fetch` in package data, `latent setup` in package pjrtplugin): the stall
// timeout, which cancels a download when the server sends nothing for a
// while, and the checksums a download is verified against, written
// "sha256:<hex>" or "md5:<hex>".
package download

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"
)

// Stall cancels a download's context, with a cause, when a wait for the
// server lasts longer than its duration: a Read of its Reader, or, after
// Start, the wait before the first one.
type Stall struct {
	timer *time.Timer
	d     time.Duration
}

// WithStall returns a child of ctx that a Stall of d cancels with cause,
// the Stall (its clock stopped), and a function to call when the download
// ends, which stops the clock and releases the context.
func WithStall(ctx context.Context, d time.Duration, cause error) (context.Context, *Stall, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	t := time.AfterFunc(d, func() { cancel(cause) })
	t.Stop()
	return ctx, &Stall{timer: t, d: d}, func() { t.Stop(); cancel(nil) }
}

// Start starts the clock now, so that the wait for the server's answer
// counts (the first Read restarts it).
func (s *Stall) Start() { s.timer.Reset(s.d) }

// Reader returns r with the stall's clock running during each Read.
func (s *Stall) Reader(r io.Reader) io.Reader { return &stallReader{r: r, s: s} }

// stallReader runs its Stall's clock during each Read.
type stallReader struct {
	r io.Reader
	s *Stall
}

// Read reads from the underlying reader with the clock running.
func (r *stallReader) Read(p []byte) (int, error) {
	r.s.timer.Reset(r.s.d)
	defer r.s.timer.Stop()
	return r.r.Read(p)
}

// NewHash returns the hash named by the prefix of a checksum.
func NewHash(sum string) (hash.Hash, error) {
	algo, _, _ := strings.Cut(sum, ":")
	switch algo {
	case "sha256":
		return sha256.New(), nil
	case "md5":
		return md5.New(), nil
	}
	return nil, fmt.Errorf("unknown checksum algorithm in %q", sum)
}

// SumString formats h's sum with the algorithm prefix of want.
func SumString(want string, h hash.Hash) string {
	algo, _, _ := strings.Cut(want, ":")
	return algo + ":" + hex.EncodeToString(h.Sum(nil))
}

// FileSum returns the checksum of the file at path in the algorithm of want.
func FileSum(path, want string) (string, error) {
	h, err := NewHash(want)
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return SumString(want, h), nil
}
