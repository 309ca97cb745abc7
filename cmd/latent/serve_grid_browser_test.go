package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/latent-vae/latent/internal/testenv"
)

var serveGridScreenshot = flag.String("serve-grid-screenshot", "",
	"write TestServeBrowserGrid's screenshot to this PNG (e.g. $PWD/docs/serve-grid.png)")

// TestServeBrowserGrid drives the code-grid explorer in a real headless
// Chromium: `latent serve` on a VQ run trained for a few steps on real
// MNIST, with a transformer prior fitted for a few more. The page shows
// test image 0's 7×7 grid and the codebook's palette instead of the map
// and sliders; a cell clicked and a palette code clicked puts that code
// in the cell and decodes a different image; the wheel over a cell steps
// its code; the sample button draws from the transformer, its default.
func TestServeBrowserGrid(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Missing(t, "Chromium not found at %s (`make chromium` installs Debian's package)", chromiumPath)
	}
	genSkipWithoutXLA(t)
	testenv.MNIST(t)
	runDir := trainBrowserRun(t, "--model", "vq", "--codebook", "32", "--latent", "8")
	genMustRun(t, "prior", "fit", "--run", runDir, "--kind", "transformer", "--steps", "20", "--width", "16", "--layers", "1", "--heads", "2")
	s := startServe(t, runDir)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url), chromedp.WaitVisible(chromedp.CSS(`#palette[data-ready="1"]`)), viewSettled()); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`["map-panel", "slider-box", "interp-panel", "draw-panel", "grid-box", "palette-panel"].map((id) => !document.getElementById(id).hidden)`))
	if err != nil || !slices.Equal(shown, []bool{false, false, false, false, true, true}) {
		t.Fatalf("shown panels (map, sliders, interpolation, drawing, grid, palette): %v (%v); want the grid and palette alone", shown, err)
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#grid button").length`))
	tiles, err2 := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#palette canvas").length`))
	if err = cmp.Or(err, err2); err != nil || cells != 49 || tiles != 32 {
		t.Fatalf("%d cells and %d palette codes (%v); want a 7×7 grid and 32 codes", cells, tiles, err)
	}
	if caption, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("view-caption"))); err != nil || caption != "test image 0 (label 7): its grid of nearest codes decoded" {
		t.Errorf("caption %q (%v); want test image 0's grid", caption, err)
	}
	before := viewPixels(t, ctx, "view")
	if lo, hi := slices.Min(before), slices.Max(before); hi-lo < 64 {
		t.Fatalf("test image 0's grid decoded to a blank image: grey levels %d to %d", lo, hi)
	}

	// Cell 24 (the centre), then a palette code it does not hold.
	const cell = 24
	held := cellCode(t, ctx, cell)
	code := (held + 1) % 32
	caption := fmt.Sprintf("edited grid: cell %d holds code %d", cell, code)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(fmt.Sprintf("cell-%d", cell))), chromedp.Click(chromedp.ID(fmt.Sprintf("code-%d", code))),
		poll(fmt.Sprintf(`document.getElementById("view-caption").textContent === %q`, caption)), viewSettled()); err != nil {
		t.Fatalf("putting code %d in cell %d: %v", code, cell, err)
	}
	if got := cellCode(t, ctx, cell); got != code {
		t.Errorf("cell %d shows code %d after picking %d from the palette", cell, got, code)
	}
	edited := viewPixels(t, ctx, "view")
	if slices.Equal(edited, before) {
		t.Error("a changed cell left the decoded image unchanged")
	}

	// The wheel down over cell 10 steps its code up by one.
	wheelAt := cellCode(t, ctx, 10)
	rect, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ X, Y float64 }](`(() => {
		const r = document.getElementById("cell-10").getBoundingClientRect();
		return {x: r.left + r.width / 2, y: r.top + r.height / 2};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	want := (wheelAt + 1) % 32
	// deltaX 1: cdproto omits a zero delta, which Chromium then refuses.
	wheel := func(p *input.DispatchMouseEventParams) { p.DeltaX, p.DeltaY = 1, 100 }
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, rect.X, rect.Y, wheel),
		poll(fmt.Sprintf(`document.getElementById("view-caption").textContent === "edited grid: cell 10 holds code %d"`, want)), viewSettled()); err != nil {
		t.Fatalf("the wheel over cell 10 (code %d): %v", wheelAt, err)
	}
	if got := cellCode(t, ctx, 10); got != want {
		t.Errorf("cell 10 shows code %d after the wheel, want %d", got, want)
	}

	if prior, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("prior"))); err != nil || prior != "transformer" {
		t.Errorf("the prior selector starts at %q (%v), want the fitted transformer", prior, err)
	}
	var samples [][]int
	for seed := 1; seed <= 2; seed++ {
		caption := fmt.Sprintf("a code drawn from the transformer prior (seed %d)", seed)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sample")),
			poll(fmt.Sprintf(`document.getElementById("view-caption").textContent === %q`, caption)), viewSettled()); err != nil {
			t.Fatalf("sampling (click %d): %v", seed, err)
		}
		samples = append(samples, viewPixels(t, ctx, "view"))
	}
	if slices.Equal(samples[0], samples[1]) {
		t.Error("two grids from the transformer prior decoded to the same image")
	}
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("error").hidden`)); err != nil || !hidden {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("error").textContent`))
		t.Errorf("the page shows an error: %q (%v)", msg, err)
	}
	if *serveGridScreenshot != "" {
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err == nil {
			err = os.WriteFile(*serveGridScreenshot, shot, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
	}
	if code, _ := s.stop(t); code != 0 {
		t.Errorf("latent serve exited %d; stderr:\n%s", code, s.stderr)
	}
}

// cellCode is the code the page's grid shows in cell i.
func cellCode(t *testing.T, ctx context.Context, i int) int {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(fmt.Sprintf("cell-%d", i))))
	if err != nil {
		t.Fatalf("reading cell %d: %v", i, err)
	}
	c, err := strconv.Atoi(text)
	if err != nil {
		t.Fatalf("cell %d shows %q, not a code", i, text)
	}
	return c
}
