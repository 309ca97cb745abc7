package download

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"
)

// blockingReader sends one byte, then waits until ctx ends.
type blockingReader struct {
	ctx  context.Context
	sent bool
}

func (r *blockingReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		p[0] = 'x'
		return 1, nil
	}
	<-r.ctx.Done()
	return 0, context.Cause(r.ctx)
}

// TestStall: a Read that waits longer than the stall's duration cancels
// the context with the cause; time between Reads does not count, and with
// Start the wait before the first Read does.
func TestStall(t *testing.T) {
	cause := errors.New("the server sent nothing")
	tests := []struct {
		name        string
		start       bool
		before      time.Duration // time passed before reading
		wantStalled time.Duration // when the context ends, from the start
	}{
		{"stalled read", false, 0, time.Second},
		{"idle before reading does not count", false, 5 * time.Second, 6 * time.Second},
		{"Start counts the wait", true, 5 * time.Second, time.Second},
	}
	for _, tc := range tests {
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			ctx, s, stop := WithStall(context.Background(), time.Second, cause)
			defer stop()
			var at time.Duration
			context.AfterFunc(ctx, func() { at = time.Since(t0) })
			if tc.start {
				s.Start()
			}
			time.Sleep(tc.before)
			if ctx.Err() == nil {
				_, err := io.ReadAll(s.Reader(&blockingReader{ctx: ctx}))
				if !errors.Is(err, cause) {
					t.Errorf("%s: read error %v, want %v", tc.name, err, cause)
				}
			}
			<-ctx.Done()
			synctest.Wait()
			if got := at; !errors.Is(context.Cause(ctx), cause) || got != tc.wantStalled {
				t.Errorf("%s: cancelled after %v with %v, want %v with %v", tc.name, got, context.Cause(ctx), tc.wantStalled, cause)
			}
		})
	}
}

func TestFileSum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		want, got string
		fails     bool
	}{
		{"sha256:x", "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", false},
		{"md5:x", "md5:900150983cd24fb0d6963f7d28e17f72", false},
		{"crc32:x", "", true},
	}
	for _, tc := range tests {
		got, err := FileSum(path, tc.want)
		if (err != nil) != tc.fails || got != tc.got {
			t.Errorf("FileSum(%s) = %q, %v; want %q (error: %v)", tc.want, got, err, tc.got, tc.fails)
		}
	}
	if _, err := FileSum(filepath.Join(t.TempDir(), "none"), "sha256:x"); err == nil {
		t.Error("FileSum of a missing file: no error")
	}
}
