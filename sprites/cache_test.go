package sprites

import (
	"bytes"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// small is the sub-grid the cache tests generate: 144 images.
func small() grid { return grid{3, 2, 4, 3, 2} }

// TestCacheGenerate generates a sub-grid's cache, checks every image
// against draw, and checks that a second open reads the file.
func TestCacheGenerate(t *testing.T) {
	g := small()
	path := filepath.Join(t.TempDir(), "sub", File)
	s, err := open(path, g)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Generated || s.Rebuilt != "" || s.Len() != g.len() || len(s.Bits()) != g.len()*512 {
		t.Fatalf("first open: generated %v (%q), %d images, %d bytes", s.Generated, s.Rebuilt, s.Len(), len(s.Bits()))
	}
	want, got := make([]byte, Pixels), make([]byte, Pixels)
	values := make([]int, NumFactors)
	for i := range g.len() {
		g.values(i, values)
		draw(g.params(values), want, Side, 0)
		s.Image(i, got)
		if !bytes.Equal(got, want) || bytes.Count(got, []byte{1}) == 0 {
			t.Fatalf("image %d (%v) differs from its rendering", i, values)
		}
	}
	again, err := open(path, g)
	if err != nil || again.Generated || !bytes.Equal(again.Bits(), s.Bits()) {
		t.Fatalf("second open: generated %v, same bits %v, %v", again.Generated, bytes.Equal(again.Bits(), s.Bits()), err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Size() != int64(headerSize+g.len()*512) {
		t.Fatalf("cache file: %v, %v", info, err)
	}
}

// TestCacheCorrupt damages the cache in several ways and checks that each
// is detected and the file generated again, equal to the original.
func TestCacheCorrupt(t *testing.T) {
	g := small()
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"truncated by a byte", func(b []byte) []byte { return b[:len(b)-1] }},
		{"truncated to the header", func(b []byte) []byte { return b[:headerSize] }},
		{"empty", func(b []byte) []byte { return nil }},
		{"a byte appended", func(b []byte) []byte { return append(b, 0) }},
		{"a pixel bit flipped", func(b []byte) []byte { b[headerSize+777] ^= 4; return b }},
		{"the last bit flipped", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{"a checksum bit flipped", func(b []byte) []byte { b[headerSize-1] ^= 0x80; return b }},
		{"another version", func(b []byte) []byte { b[15]++; return b }},
		{"another grid", func(b []byte) []byte { b[16+4*Orientation]++; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), File)
			s, err := open(path, g)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.damage(bytes.Clone(orig)), 0o644); err != nil {
				t.Fatal(err)
			}
			again, err := open(path, g)
			if err != nil {
				t.Fatal(err)
			}
			if !again.Generated || again.Rebuilt == "" || !bytes.Equal(again.Bits(), s.Bits()) {
				t.Fatalf("damaged cache: generated %v (%q), same bits %v", again.Generated, again.Rebuilt, bytes.Equal(again.Bits(), s.Bits()))
			}
			if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, orig) {
				t.Fatalf("regenerated file differs from the original (%v)", err)
			}
		})
	}
}

// TestCacheWorkers checks that the cache does not depend on the number of
// CPUs.
func TestCacheWorkers(t *testing.T) {
	g := small()
	var files [2][]byte
	for k, procs := range []int{1, 3} {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		path := filepath.Join(t.TempDir(), File)
		if _, err := open(path, g); err != nil {
			t.Fatal(err)
		}
		files[k], _ = os.ReadFile(path)
	}
	if len(files[0]) == 0 || !bytes.Equal(files[0], files[1]) {
		t.Fatal("caches written with 1 and 3 workers differ")
	}
}

// TestPack checks the bit order (pixel 0 is the first byte's most
// significant bit) and that unpack inverts pack.
func TestPack(t *testing.T) {
	pixels := make([]byte, Pixels)
	pixels[0], pixels[9] = 1, 1
	packed := make([]byte, Pixels/8)
	pack(pixels, packed)
	if packed[0] != 0x80 || packed[1] != 0x40 {
		t.Fatalf("packed bytes %#x %#x, want 0x80 0x40", packed[0], packed[1])
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for p := range pixels {
		pixels[p] = byte(rng.IntN(2))
	}
	pack(pixels, packed)
	back := make([]byte, Pixels)
	unpack(packed, back)
	if !bytes.Equal(back, pixels) {
		t.Fatal("unpack(pack(x)) != x")
	}
}

// TestLookup checks Lookup against Image and its errors.
func TestLookup(t *testing.T) {
	g := small()
	s, err := open(filepath.Join(t.TempDir(), File), g)
	if err != nil {
		t.Fatal(err)
	}
	rows := []int{2, 1, 3, 2, 1, 0, 0, 0, 0, 0}
	dst := make([]byte, 2*Pixels)
	if err := s.Lookup(rows, dst); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, Pixels)
	s.Image(g.index(rows[:5]), one)
	if !bytes.Equal(dst[:Pixels], one) {
		t.Error("Lookup's first image differs from Image")
	}
	if err := s.Lookup([]int{0, 2, 0, 0, 0}, dst[:Pixels]); err == nil {
		t.Error("scale 2 of a 2-scale grid looked up")
	}
	if err := s.Lookup(rows, dst[:Pixels]); err == nil {
		t.Error("two rows looked up into one image's bytes")
	}
}

// TestOpenGrid opens a small grid by its sizes, checks its file name,
// sizes, factor values and TakeBits, and the refusals of bad arguments.
func TestOpenGrid(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenGrid(dir, []int{3, 2, 4, 3, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "sprites-64x64-v1-3x2x4x3x2.bits"); s.Path != want {
		t.Errorf("path %s, want %s", s.Path, want)
	}
	sizes := s.Sizes()
	sizes[0] = 99
	if !slices.Equal(s.Sizes(), []int{3, 2, 4, 3, 2}) || !slices.Equal(s.Values(s.Len()-1), []int{2, 1, 3, 2, 1}) || !slices.Equal(s.Values(7), []int{0, 0, 1, 0, 1}) {
		t.Errorf("sizes %v, last values %v, values of 7 %v", s.Sizes(), s.Values(s.Len()-1), s.Values(7))
	}
	bits := s.TakeBits()
	if len(bits) != 144*512 || s.Bits() != nil {
		t.Errorf("TakeBits: %d bytes, %d left", len(bits), len(s.Bits()))
	}
	for _, tc := range []struct {
		dir   string
		sizes []int
		want  string
	}{
		{"", []int{1, 1, 1, 1, 1}, "no folder"},
		{dir, []int{1, 1, 1, 1}, "4 factor sizes"},
		{dir, []int{4, 1, 1, 1, 1}, "shape has 4 values"},
		{dir, []int{1, 0, 1, 1, 1}, "scale has 0 values"},
	} {
		if _, err := OpenGrid(tc.dir, tc.sizes); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenGrid(%q, %v): %v, want an error containing %q", tc.dir, tc.sizes, err, tc.want)
		}
	}
}

// TestWriteGrid writes a grid of each shape at a few scales, orientations
// and positions and checks the PNG's size and a cell's pixels. With
// LATENT_SPRITES_GRID=file.png it writes the grid there, to look at.
func TestWriteGrid(t *testing.T) {
	var cells [][]int
	for shape := range 3 {
		for _, o := range []int{0, 5, 10, 20} {
			cells = append(cells, []int{shape, 5, o, 16, 16})
		}
		cells = append(cells, []int{shape, 0, 0, 0, 0}, []int{shape, 2, 3, 31, 0},
			[]int{shape, 5, 13, 0, 31}, []int{shape, 5, 30, 31, 31})
	}
	path := filepath.Join(t.TempDir(), "grid.png")
	if p := os.Getenv("LATENT_SPRITES_GRID"); p != "" {
		path = p
	}
	if err := WriteGrid(path, cells, 8, 2); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 8*130+2 || b.Dy() != 3*130+2 {
		t.Fatalf("grid is %v", b)
	}
	first := render(t, cells[0]...)
	for p, v := range first {
		r, _, _, _ := img.At(2+p%Side*2+1, 2+p/Side*2+1).RGBA()
		if byte(r>>8) != 255*v {
			t.Fatalf("cell 0 pixel %d is %d, want %d", p, r>>8, 255*v)
		}
	}
	if err := WriteGrid(path, nil, 8, 2); err == nil {
		t.Error("empty grid written")
	}
}

// TestFullGeneration generates the whole set into the folder
// $LATENT_SPRITES_FULL (skipped when it is unset: 377 MB and about a
// minute), opens it again, and checks its size and some images.
func TestFullGeneration(t *testing.T) {
	dir := os.Getenv("LATENT_SPRITES_FULL")
	if dir == "" {
		t.Skip("LATENT_SPRITES_FULL=folder generates the whole set there")
	}
	start := time.Now()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Open: generated %v in %v", s.Generated, time.Since(start))
	start = time.Now()
	again, err := Open(dir)
	if err != nil || again.Generated {
		t.Fatalf("reopening: generated %v, %v", again.Generated, err)
	}
	t.Logf("reopened (size and SHA-256 checked) in %v", time.Since(start))
	info, err := os.Stat(s.Path)
	if err != nil || info.Size() != headerSize+N*512 || s.Len() != N {
		t.Fatalf("%v, %v: %d images", info, err, s.Len())
	}
	t.Logf("%s: %d bytes", s.Path, info.Size())
	got := make([]byte, Pixels)
	for i := 0; i < N; i += 7919 {
		s.Image(i, got)
		if !bytes.Equal(got, render(t, Values(i)...)) {
			t.Fatalf("image %d differs from Render", i)
		}
	}
}
