package generate

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// roundTrip encodes frames as a GIF and decodes it.
func roundTrip(t *testing.T, frames []image.Image, delay, loop int) *gif.GIF {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeGIF(&buf, frames, delay, loop); err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(&buf)
	if err != nil {
		t.Fatalf("decoding the GIF written: %v", err)
	}
	if len(g.Image) != len(frames) {
		t.Fatalf("%d frames decoded, want %d", len(g.Image), len(frames))
	}
	return g
}

// sameRGB reports the first pixel where got and want differ in R, G or B.
func sameRGB(t *testing.T, name string, got, want image.Image) {
	t.Helper()
	b := want.Bounds()
	if got.Bounds().Size() != b.Size() {
		t.Fatalf("%s: size %v, want %v", name, got.Bounds().Size(), b.Size())
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
			w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
			if g.R != w.R || g.G != w.G || g.B != w.B {
				t.Fatalf("%s: pixel (%d,%d) = %v, want %v", name, x, y, g, w)
			}
		}
	}
}

func TestGIFKeepsEveryGreyLevel(t *testing.T) {
	var frames []image.Image
	for f := range 3 {
		img := image.NewGray(image.Rect(0, 0, 16, 16))
		for i := range img.Pix {
			img.Pix[i] = uint8(i + 85*f) // all 256 levels, shifted per frame
		}
		frames = append(frames, img)
	}
	g := roundTrip(t, frames, 8, 0)
	for i, f := range frames {
		sameRGB(t, "grey frame", g.Image[i], f)
	}
	if len(g.Image[0].Palette) != 256 {
		t.Errorf("grey palette has %d colours, want 256", len(g.Image[0].Palette))
	}
}

func TestGIFKeepsFewColoursExactly(t *testing.T) {
	colours := []color.RGBA{{255, 0, 0, 255}, {0, 200, 0, 255}, {1, 2, 3, 255}, {250, 250, 10, 255}, {128, 128, 128, 255}}
	var frames []image.Image
	for f := range 2 {
		img := image.NewRGBA(image.Rect(0, 0, 10, 7))
		for y := range 7 {
			for x := range 10 {
				img.SetRGBA(x, y, colours[(x+y+f)%len(colours)])
			}
		}
		frames = append(frames, img)
	}
	g := roundTrip(t, frames, 5, 0)
	for i, f := range frames {
		sameRGB(t, "colour frame", g.Image[i], f)
	}
}

func TestGIFQuantisesManyColours(t *testing.T) {
	// 4096 colours: a red-green gradient with a blue checker.
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			img.SetRGBA(x, y, color.RGBA{uint8(4 * x), uint8(4 * y), uint8(64 * ((x + y) % 2)), 255})
		}
	}
	g := roundTrip(t, []image.Image{img}, 10, 0)
	if n := len(g.Image[0].Palette); n > 256 || n < 200 {
		t.Errorf("palette of %d colours, want close to 256", n)
	}
	var errSum, worst int
	for y := range 64 {
		for x := range 64 {
			got := color.NRGBAModel.Convert(g.Image[0].At(x, y)).(color.NRGBA)
			want := img.RGBAAt(x, y)
			d := absDiff(got.R, want.R) + absDiff(got.G, want.G) + absDiff(got.B, want.B)
			errSum += d
			worst = max(worst, d)
		}
	}
	// Median cut splits blue first, then 128 boxes per blue level over the
	// 256×256 red-green square, about 23 levels a side: a mean error near
	// 23/4 in each of red and green. A uniform 6×6×6 palette would be
	// off by about 13 levels per channel, 38 in all.
	if mean := float64(errSum) / 4096; mean > 14 || worst > 48 {
		t.Errorf("quantisation error: mean %.1f, worst %d levels summed over R, G, B", mean, worst)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestGIFDelayAndLoopCount(t *testing.T) {
	frames := []image.Image{image.NewGray(image.Rect(0, 0, 3, 2)), image.NewGray(image.Rect(0, 0, 3, 2))}
	for _, tc := range []struct{ delay, loop int }{{8, 0}, {1, -1}, {100, 3}} {
		g := roundTrip(t, frames, tc.delay, tc.loop)
		if g.LoopCount != tc.loop {
			t.Errorf("LoopCount = %d, want %d", g.LoopCount, tc.loop)
		}
		for i, d := range g.Delay {
			if d != tc.delay {
				t.Errorf("frame %d delay = %d, want %d", i, d, tc.delay)
			}
		}
	}
}

func TestDelay(t *testing.T) {
	for _, tc := range []struct{ fps, want int }{{1, 100}, {3, 33}, {12, 8}, {25, 4}, {100, 1}} {
		if got := Delay(tc.fps); got != tc.want {
			t.Errorf("Delay(%d) = %d, want %d", tc.fps, got, tc.want)
		}
	}
}

func TestPingPong(t *testing.T) {
	for _, tc := range []struct{ in, want []int }{
		{[]int{0}, []int{0}},
		{[]int{0, 1}, []int{0, 1}},
		{[]int{0, 1, 2, 3, 4}, []int{0, 1, 2, 3, 4, 3, 2, 1}},
	} {
		if got := PingPong(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("PingPong(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestWriteGIF(t *testing.T) {
	dir := t.TempDir()
	frames := []image.Image{image.NewGray(image.Rect(0, 0, 4, 4)), image.NewGray(image.Rect(0, 0, 4, 4))}
	path := filepath.Join(dir, "a.gif")
	if err := WriteGIF(path, frames, 12); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if g.LoopCount != 0 || g.Delay[0] != 8 || len(g.Image) != 2 {
		t.Errorf("loop %d, delay %d, %d frames; want 0, 8, 2", g.LoopCount, g.Delay[0], len(g.Image))
	}

	bad := []struct {
		name   string
		frames []image.Image
		fps    int
	}{
		{"fps 0", frames, 0},
		{"fps 101", frames, 101},
		{"no frames", nil, 12},
		{"mixed sizes", []image.Image{frames[0], image.NewGray(image.Rect(0, 0, 5, 4))}, 12},
	}
	for _, tc := range bad {
		p := filepath.Join(dir, "bad.gif")
		if err := WriteGIF(p, tc.frames, tc.fps); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s: %s was written", tc.name, p)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only a.gif (no temporary files)", len(entries))
	}
}
