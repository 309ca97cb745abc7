package shapes

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"testing"
)

// TestGenerateDeterministic: the same seed gives the same bytes, a larger
// set starts with a smaller one, and the data set's bytes are pinned, so a
// change to how images are drawn cannot pass unnoticed.
func TestGenerateDeterministic(t *testing.T) {
	a, fa := Generate(50, 7)
	b, _ := Generate(80, 7)
	if !bytes.Equal(a, b[:len(a)]) {
		t.Error("the first 50 images of 80 differ from 50 drawn alone")
	}
	c, _ := Generate(50, 8)
	if bytes.Equal(a, c) {
		t.Error("seeds 7 and 8 gave the same images")
	}
	if len(fa) != 50 || len(a) != 50*Pixels {
		t.Fatalf("got %d factors and %d bytes, want 50 and %d", len(fa), len(a), 50*Pixels)
	}
	all, _ := Generate(Count, Seed)
	sum := sha256.Sum256(all)
	const want = "760190009bf40787be689436d435dfff07bd114f63af49d404c2f3330964412a"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("SHA-256 of the shapes set: %s, want %s", got, want)
	}
}

// TestImagesKeepTheirFactors: every image holds exactly its two colours,
// the shape wholly inside the frame with about its area, the colours apart
// by MinContrast, and both classes and a range of sizes occur.
func TestImagesKeepTheirFactors(t *testing.T) {
	pixels, factors := Generate(1000, 3)
	var classes [2]int
	minSize, maxSize := math.Inf(1), math.Inf(-1)
	for i, f := range factors {
		img := pixels[i*Pixels : (i+1)*Pixels]
		if contrast(f.Colour, f.Background) < MinContrast {
			t.Fatalf("image %d: colours %v and %v closer than %d", i, f.Colour, f.Background, MinContrast)
		}
		if f.X-f.Size < 0 || f.Y-f.Size < 0 || f.X+f.Size > Side || f.Y+f.Size > Side {
			t.Fatalf("image %d: shape %+v leaves the frame", i, f)
		}
		_, _, n := f.Centroid()
		area := math.Pi * f.Size * f.Size
		if f.Shape == Square {
			area = 4 * f.Size * f.Size
		}
		if !(math.Abs(float64(n)-area) <= 4*f.Size+4) {
			t.Errorf("image %d: %d shape pixels, area %.1f", i, n, area)
		}
		counted := 0
		for p := 0; p < len(img); p += Channels {
			switch c := [3]uint8(img[p : p+3]); c {
			case f.Colour:
				counted++
			case f.Background:
			default:
				t.Fatalf("image %d: pixel %d is %v, neither shape %v nor background %v", i, p/3, c, f.Colour, f.Background)
			}
		}
		if counted != n {
			t.Errorf("image %d: %d pixels of the shape's colour, %d inside the shape", i, counted, n)
		}
		classes[f.Shape]++
		minSize, maxSize = min(minSize, f.Size), max(maxSize, f.Size)
	}
	if classes[0] < 400 || classes[1] < 400 {
		t.Errorf("classes %v of 1000: want both near 500", classes)
	}
	if minSize > MinSize+0.1 || maxSize < MaxSize-0.1 {
		t.Errorf("sizes span [%.2f, %.2f], want about [%v, %v]", minSize, maxSize, MinSize, MaxSize)
	}
}

// TestErrors: an image measured against its own factors has no error, a
// shifted or recoloured one the shift and the colour change, and a
// reconstruction of only the background has an infinite position error.
func TestErrors(t *testing.T) {
	f := Factors{Shape: Square, Size: 5, X: 14, Y: 15, Colour: [3]uint8{200, 10, 90}, Background: [3]uint8{20, 30, 40}}
	img := make([]uint8, Pixels)
	unit := func() []float32 {
		out := make([]float32, len(img))
		for i, v := range img {
			out[i] = float32(v) / 255
		}
		return out
	}
	shifted := f
	shifted.X += 2
	shifted.Colour = [3]uint8{216, 10, 80}
	background := f
	background.Colour = f.Background
	for _, tc := range []struct {
		name     string
		drawn    Factors
		colour   [3]float64
		position float64
	}{
		{"itself", f, [3]float64{0, 0, 0}, 0},
		// The square covers columns 9..18; shifted by 2, 11..20: 8 of its 10
		// columns overlap, so 20% of the shape's pixels are background.
		{"shifted and recoloured", shifted, [3]float64{0.8*16 + 0.2*180, 0.2 * 20, 0.8*10 + 0.2*50}, 2},
		{"background only", background, [3]float64{180, 20, 50}, math.Inf(1)},
	} {
		Render(tc.drawn, img)
		e, err := Errors(f, unit())
		if err != nil {
			t.Fatal(err)
		}
		for c := range 3 {
			if !(math.Abs(e.Colour[c]-tc.colour[c]) <= 1e-3) {
				t.Errorf("%s: channel %d error %.4f, want %.4f", tc.name, c, e.Colour[c], tc.colour[c])
			}
		}
		if !(math.Abs(e.Position-tc.position) <= 1e-9) && !(math.IsInf(tc.position, 1) && math.IsInf(e.Position, 1)) {
			t.Errorf("%s: position error %.4f, want %.4f", tc.name, e.Position, tc.position)
		}
	}
	if _, err := Errors(f, make([]float32, 10)); err == nil {
		t.Error("a reconstruction of 10 values was measured")
	}
}
