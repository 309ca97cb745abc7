package main

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/latent-vae/latent/internal/testenv"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

var serveScreenshot = flag.String("serve-screenshot", "",
	"write TestServeBrowser's screenshot to this PNG (e.g. $PWD/docs/serve.png); its run then trains longer, so the picture shows structure")

// TestServeBrowser drives the explorer in a real headless Chromium: `latent
// serve` on a run trained for a few steps on real MNIST, the page loaded,
// the map drawn, a point clicked and decoded to a non-blank image, a slider
// moved and the image changed, a stroke drawn and scored.
func TestServeBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Missing(t, "Chromium not found at %s (`make chromium` installs Debian's package)", chromiumPath)
	}
	genSkipWithoutXLA(t)
	testenv.MNIST(t)
	runDir := trainBrowserRun(t)
	genMustRun(t, "prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "2")
	s := startServe(t, runDir)
	ctx := newBrowser(t)

	if err := chromedp.Do(ctx, chromedp.Navigate(s.url), chromedp.WaitVisible(chromedp.CSS(`#map[data-ready="1"]`))); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("class-row").hidden`)); err != nil || !hidden {
		t.Errorf("an unconditional run shows the class selector (hidden: %v, %v)", hidden, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("map")),
		poll(`document.getElementById("view-caption").textContent.startsWith("test image")`), viewSettled()); err != nil {
		t.Fatalf("clicking the map: %v", err)
	}
	picked := viewPixels(t, ctx, "view")
	if lo, hi := slices.Min(picked), slices.Max(picked); hi-lo < 64 {
		t.Fatalf("the picked point decoded to a blank image: grey levels %d to %d", lo, hi)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("set-a")), poll(`document.getElementById("thumb-a").dataset.version`)); err != nil {
		t.Fatalf("setting A: %v", err)
	}

	// The most active dimension's slider, to the end of its range away from
	// the picked code's value.
	slider := chromedp.CSS(`#sliders input[type=range]`)
	value, err := chromedp.Run(ctx, chromedp.Value(slider))
	if err != nil {
		t.Fatal(err)
	}
	key, want := kb.End, "4"
	if !strings.HasPrefix(value, "-") && value != "0" {
		key, want = kb.Home, "-4"
	}
	if err := chromedp.Do(ctx, chromedp.Focus(slider), chromedp.KeyEvent(key), viewSettled()); err != nil {
		t.Fatalf("moving a slider: %v", err)
	}
	if value, err = chromedp.Run(ctx, chromedp.Value(slider)); err != nil || value != want {
		t.Fatalf("slider value %q (%v), want %s", value, err, want)
	}
	if moved := viewPixels(t, ctx, "view"); slices.Equal(moved, picked) {
		t.Error("moving the slider left the decoded image unchanged")
	}
	interpolate(t, ctx)
	sampleFromPrior(t, ctx)

	drawStroke(t, ctx)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#score[data-ready="1"]`))); err != nil {
		t.Fatalf("waiting for the drawing's score: %v", err)
	}
	score, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("score")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(score, "anomaly score (−ELBO)") || !strings.Contains(score, "percentile") {
		t.Errorf("score text %q", score)
	}
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("error").hidden`)); err != nil || !hidden {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("error").textContent`))
		t.Errorf("the page shows an error: %q (%v)", msg, err)
	}
	saveScreenshot(t, ctx)
	if code, _ := s.stop(t); code != 0 {
		t.Errorf("latent serve exited %d; stderr:\n%s", code, s.stderr)
	}
}

// TestServeBrowserConditional serves a conditional run (a few steps on real
// MNIST) in headless Chromium: the class selector shows, a picked test
// image sets it to the image's label, and another class re-decodes the
// same code to a different image.
func TestServeBrowserConditional(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Missing(t, "Chromium not found at %s (`make chromium` installs Debian's package)", chromiumPath)
	}
	genSkipWithoutXLA(t)
	testenv.MNIST(t)
	s := startServe(t, trainBrowserRun(t, "--conditional", "--latent", "2"))
	ctx := newBrowser(t)
	err := chromedp.Do(ctx, chromedp.Navigate(s.url), chromedp.WaitVisible(chromedp.CSS(`#map[data-ready="1"]`)),
		chromedp.WaitVisible(chromedp.ID("class")), chromedp.Click(chromedp.ID("map")),
		poll(`document.getElementById("view-caption").textContent.startsWith("test image")`), viewSettled())
	if err != nil {
		t.Fatalf("loading the page and picking a test image: %v", err)
	}
	same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("view-caption").textContent.match(/\(label (\S+)\)/)[1] ===
		document.getElementById("class").selectedOptions[0].textContent`))
	if err != nil || !same {
		caption, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("view-caption")))
		t.Errorf("the class selector is not the picked image's label (%q): %v", caption, err)
	}
	picked := viewPixels(t, ctx, "view")
	err = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById("class");
		s.value = String((Number(s.value) + 5) % 10);
		s.dispatchEvent(new Event("change"));
	})()`), viewSettled())
	if err != nil {
		t.Fatalf("choosing another class: %v", err)
	}
	if other := viewPixels(t, ctx, "view"); slices.Equal(other, picked) {
		t.Error("another class left the decoded image unchanged")
	}
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("error").hidden`)); err != nil || !hidden {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("error").textContent`))
		t.Errorf("the page shows an error: %q (%v)", msg, err)
	}
	if code, _ := s.stop(t); code != 0 {
		t.Errorf("latent serve exited %d; stderr:\n%s", code, s.stderr)
	}
}

// trainBrowserRun trains a run on real MNIST with the CLI and extra flags:
// 20 steps on 512 images (or, for a screenshot, 600 steps on all), 256 test
// images (2,000).
func trainBrowserRun(t *testing.T, extra ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnist")
	args := []string{"train", "--data", "mnist", "--steps", "20", "--train-limit", "512", "--test-limit", "256",
		"--batch-size", "64", "--out", dir, genBackendF}
	if *serveScreenshot != "" {
		args = []string{"train", "--data", "mnist", "--steps", "600", "--test-limit", "2000", "--out", dir, genBackendF}
	}
	args = append(args, extra...)
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("latent %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return dir
}

// newBrowser starts a headless Chromium with a fresh profile, closed at
// the test's end.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1500, 1050),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil { // starts the browser, with no timeout on it
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	ctx, cancel := context.WithTimeout(browser, 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// poll waits until the JavaScript expression is true.
func poll(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second))
}

// viewSettled waits until the decoded-image canvas has no decode pending.
func viewSettled() chromedp.Action[chromedp.Void] {
	return poll(`document.getElementById("view").dataset.pending === "0"`)
}

// viewPixels returns the red channel of every pixel of the canvas with that id.
func viewPixels(t *testing.T, ctx context.Context, id string) []int {
	t.Helper()
	px, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => {
		const c = document.getElementById("`+id+`");
		const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		const out = [];
		for (let i = 0; i < d.length; i += 4) out.push(d[i]);
		return out;
	})()`))
	if err != nil || len(px) == 0 {
		t.Fatalf("reading the canvas: %d pixels, %v", len(px), err)
	}
	return px
}

// interpolate sets B to the current code (A is the picked image's), asks
// for the interpolation and scrubs from its first frame to its last: the
// frames must differ.
func interpolate(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("set-b")), poll(`document.getElementById("thumb-b").dataset.version`),
		chromedp.Click(chromedp.ID("interp-go")), poll(`!document.getElementById("scrub").disabled`))
	if err != nil {
		t.Fatalf("interpolating: %v", err)
	}
	first := viewPixels(t, ctx, "interp")
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.ID("scrub")), chromedp.KeyEvent(kb.End)); err != nil {
		t.Fatalf("scrubbing: %v", err)
	}
	if last := viewPixels(t, ctx, "interp"); slices.Equal(first, last) || slices.Max(last)-slices.Min(last) < 64 {
		t.Error("scrubbing to the last frame did not show a different, non-blank image")
	}
}

// drawStroke drags the mouse down the middle of the drawing canvas, a "1".
func drawStroke(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.ID("draw")))
	rect, err2 := chromedp.Run(ctx, chromedp.Evaluate[struct{ X, Y, W, H float64 }](`(() => {
		const r = document.getElementById("draw").getBoundingClientRect();
		return {x: r.left, y: r.top, w: r.width, h: r.height};
	})()`))
	if err = cmp.Or(err, err2); err != nil {
		t.Fatal(err)
	}
	x := rect.X + rect.W/2
	actions := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, rect.Y+rect.H*0.2),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, rect.Y+rect.H*0.2, chromedp.ButtonLeft)}
	for f := 0.25; f <= 0.8; f += 0.05 {
		actions = append(actions, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x+rect.W*(f-0.5)*0.1, rect.Y+rect.H*f, chromedp.ButtonLeft))
	}
	actions = append(actions, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, rect.Y+rect.H*0.8, chromedp.ButtonLeft))
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("drawing: %v", err)
	}
}

// saveScreenshot captures the page, to -serve-screenshot or a temporary
// file, and checks it is a PNG of the window's size.
func saveScreenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	shot, err2 := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err = cmp.Or(err, err2); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil || cfg.Width < 1000 {
		t.Fatalf("screenshot: %v, %d pixels wide", err, cfg.Width)
	}
	path := *serveScreenshot
	if path == "" {
		path = filepath.Join(t.TempDir(), "serve.png")
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// sampleFromPrior clicks the sample button twice with the run's gmm prior
// (the page's default, its best fitted prior) selected: each click decodes
// a new code drawn from it, and says so.
func sampleFromPrior(t *testing.T, ctx context.Context) {
	t.Helper()
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("sample-row").hidden`)); err != nil || hidden {
		t.Fatalf("a run with a fitted prior hides the sample button (hidden: %v, %v)", hidden, err)
	}
	if prior, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("prior"))); err != nil || prior != "gmm" {
		t.Errorf("the prior selector starts at %q (%v), want the fitted gmm", prior, err)
	}
	var grids [][]int
	for seed := 1; seed <= 2; seed++ {
		caption := fmt.Sprintf("a code drawn from the gmm prior (seed %d)", seed)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sample")),
			poll(fmt.Sprintf(`document.getElementById("view-caption").textContent === %q`, caption)), viewSettled()); err != nil {
			t.Fatalf("sampling (click %d): %v", seed, err)
		}
		grids = append(grids, viewPixels(t, ctx, "view"))
	}
	if slices.Equal(grids[0], grids[1]) {
		t.Error("two samples from the prior decoded to the same image")
	}
}
