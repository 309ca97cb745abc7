package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/plots"
	"github.com/latent-vae/latent/rundir"
)

func TestPlotCommand(t *testing.T) {
	dir := t.TempDir()
	evWriteFile(t, filepath.Join(dir, rundir.MetricsFile), metricsHeader()+
		"50,0.1,200,180,20,,,,900,1.5\n100,0.2,150,130,20,140,125,15,950,3\n150,0.3,140,120,20,,,,940,4.5\n")
	out := filepath.Join(t.TempDir(), "curves.png")
	code, stdout, stderr := evLatent("plot", "--run", dir, "-o", out)
	if code != 0 {
		t.Fatalf("latent plot: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "3 rows") || !strings.Contains(stdout, "1 test evaluations") {
		t.Errorf("stdout %q: want 3 rows and 1 test evaluation reported", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if b := img.Bounds(); b.Dx() != 15*plots.DPI {
		t.Errorf("%s is %d pixels wide, want %d", out, b.Dx(), 15*plots.DPI)
	}
}

func TestPlotErrors(t *testing.T) {
	noMetrics := t.TempDir()
	malformed := t.TempDir()
	evWriteFile(t, filepath.Join(malformed, rundir.MetricsFile), metricsHeader()+"50,0.1,abc,180,20,,,,900,1.5\n")
	truncated := t.TempDir()
	evWriteFile(t, filepath.Join(truncated, rundir.MetricsFile), metricsHeader()+"50,0.1,200\n")
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name string
		run  string
		want string
	}{
		{"missing run folder", missing, missing},
		{"missing metrics.csv", noMetrics, filepath.Join(noMetrics, rundir.MetricsFile) + " is missing"},
		{"bad number", malformed, filepath.Join(malformed, rundir.MetricsFile) + `: line 2: train_neg_elbo "abc"`},
		{"short row", truncated, filepath.Join(truncated, rundir.MetricsFile) + ": line 2: 3 cells, want 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "curves.png")
			evMustFail(t, tt.want, out, "plot", "--run", tt.run, "-o", out)
		})
	}
	evMustFail(t, "--run: a run folder is required", "", "plot")
}
