package data

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/sprites"
)

// smallSprites is the sub-grid the tests generate: 144 images.
var smallSprites = []int{3, 2, 4, 3, 2}

// TestSpritesSet splits a small grid of sprites and checks that every
// image of each split is the cached image its factors name, its label its
// shape, that the splits hold bits and together every image once, and
// that a prefix of the training split is not one shape alone.
func TestSpritesSet(t *testing.T) {
	dir := t.TempDir()
	s, err := sprites.OpenGrid(dir, smallSprites)
	if err != nil {
		t.Fatal(err)
	}
	set := spritesSet(s, dir)
	ref, err := sprites.OpenGrid(dir, smallSprites) // read back from the cache
	if err != nil || ref.Generated {
		t.Fatalf("reopening: generated %v, %v", ref.Generated, err)
	}
	if set.Test.N != 1 || set.Train.N != 143 || set.Name != Sprites || !slices.Equal(set.Classes, []string{"square", "ellipse", "heart"}) {
		t.Fatalf("%s: %d+%d images, classes %v; want sprites, 143+1, the three shapes", set.Name, set.Train.N, set.Test.N, set.Classes)
	}
	seen := map[int]bool{}
	want := make([]byte, sprites.Pixels)
	for _, sp := range []*Split{set.Train, set.Test} {
		if sp.Pixels != nil || len(sp.Bits) != sp.N*512 || sp.Height != 64 || sp.Channels != 1 {
			t.Fatalf("split: %d pixel bytes, %d bits bytes for %d images of %dx%dx%d", len(sp.Pixels), len(sp.Bits), sp.N, sp.Height, sp.Width, sp.Channels)
		}
		if err := sp.Factors.Check(sp.N); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sp.Factors.Names, []string{"shape", "scale", "orientation", "x", "y"}) || !slices.Equal(sp.Factors.Sizes, smallSprites) {
			t.Fatalf("factors %v sized %v", sp.Factors.Names, sp.Factors.Sizes)
		}
		for k := range sp.N {
			row := sp.Factors.Row(k)
			i := 0
			for f, v := range row {
				i = i*smallSprites[f] + v
			}
			if seen[i] {
				t.Fatalf("image %d (%v) is in the splits twice", i, row)
			}
			seen[i] = true
			ref.Image(i, want)
			got := sp.AppendPixels(nil, k)
			for p := range want {
				want[p] *= 255
			}
			if !bytes.Equal(got, want) || sp.Labels[k] != row[sprites.Shape] {
				t.Fatalf("image %d of a split, label %d, is not the image of factors %v", k, sp.Labels[k], row)
			}
		}
	}
	if len(seen) != 144 {
		t.Errorf("the splits hold %d distinct images, want 144", len(seen))
	}
	if c := set.Train.Subset(12).LabelCounts(3); slices.Contains(c, 12) {
		t.Errorf("the first 12 training images are of one shape: %v", c)
	}
	if !strings.Contains(set.About, "144 images") || set.Dir != dir {
		t.Errorf("About %q, Dir %q", set.About, set.Dir)
	}
}

// TestLoadSpritesOptions: options that cannot apply to the sprites are
// refused, naming what they are.
func TestLoadSpritesOptions(t *testing.T) {
	for _, tc := range []struct {
		opt  Options
		want string
	}{
		{Options{ImageSize: 32}, "image size 32: the sprites are 64x64"},
		{Options{Channels: 3}, "channels 3: the sprites are binary"},
	} {
		if _, err := Load(Sprites, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(sprites, %+v): %v, want an error containing %q", tc.opt, err, tc.want)
		}
	}
	if spec, err := AbsSpec(Sprites); err != nil || spec != Sprites {
		t.Errorf("AbsSpec(sprites) = %q, %v", spec, err)
	}
}

// TestSpritesDir checks the folder rules of the sprites cache: --data-dir,
// then $LATENT_DATA/sprites, ./data/sprites and
// ~/.local/share/latent/sprites, whichever holds the cache, and where a
// new cache goes.
func TestSpritesDir(t *testing.T) {
	home, work, env := t.TempDir(), t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("LATENT_DATA", "")
	t.Chdir(work)
	homeDir := filepath.Join(home, ".local", "share", "latent", Sprites)
	place := func(dir string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sprites.File), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		step, env, dir, want string
		place                string
	}{
		{"nothing anywhere", "", "", homeDir, ""},
		{"nothing, LATENT_DATA set", env, "", filepath.Join(env, Sprites), ""},
		{"in home", "", "", homeDir, homeDir},
		{"in ./data", "", "", filepath.Join("data", Sprites), filepath.Join(work, "data", Sprites)},
		{"in LATENT_DATA too", env, "", filepath.Join(env, Sprites), filepath.Join(env, Sprites)},
		{"--data-dir", env, "elsewhere", "elsewhere", ""},
	} {
		t.Setenv("LATENT_DATA", tc.env)
		if tc.place != "" {
			place(tc.place)
		}
		if got, err := spritesDir(Options{Dir: tc.dir}); err != nil || got != tc.want {
			t.Errorf("%s: %q (%v), want %q", tc.step, got, err, tc.want)
		}
	}
}

// TestPermuteBlocks checks the in-place reordering against a copy.
func TestPermuteBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 100} {
		buf := make([]byte, n*3)
		for i := range buf {
			buf[i] = byte(rng.IntN(256))
		}
		perm := rng.Perm(n)
		want := make([]byte, 0, len(buf))
		for _, i := range perm {
			want = append(want, buf[i*3:(i+1)*3]...)
		}
		permuteBlocks(buf, 3, perm)
		if !bytes.Equal(buf, want) {
			t.Errorf("%d blocks: reordered wrongly", n)
		}
	}
}

// TestSplitBits: a bit-packed split reads as the byte split of the same
// binary images through every accessor, Subset, Pick, MeanStd and the
// batcher; images of 12 pixels pad to 2 bytes each.
func TestSplitBits(t *testing.T) {
	// Images of 3×4 pixels: bits 101100111000 | 000000000001 | 111111111111.
	packed := &Split{Bits: []byte{0b10110011, 0b10000000, 0, 0b00010000, 0xff, 0xf0}, Labels: []int{0, 1, 2}, N: 3, Height: 3, Width: 4, Channels: 1}
	bytesOf := func(bits string) []uint8 {
		out := make([]uint8, len(bits))
		for i, c := range bits {
			out[i] = 255 * uint8(c-'0')
		}
		return out
	}
	plain := &Split{Pixels: slices.Concat(bytesOf("101100111000"), bytesOf("000000000001"), bytesOf("111111111111")),
		Labels: []int{0, 1, 2}, N: 3, Height: 3, Width: 4, Channels: 1}
	if packed.PackedSize() != 2 {
		t.Fatalf("PackedSize %d, want 2", packed.PackedSize())
	}
	if !slices.Equal(packed.Images(), plain.Images()) || !slices.Equal(packed.Image(1), plain.Image(1)) {
		t.Fatalf("Images %v, want %v", packed.Images(), plain.Images())
	}
	if got := packed.AppendPixels([]uint8{7}, 0); !slices.Equal(got, append([]uint8{7}, bytesOf("101100111000")...)) {
		t.Errorf("AppendPixels(0) = %v", got)
	}
	pm, ps := packed.MeanStd()
	qm, qs := plain.MeanStd()
	if !(abs(pm-qm) <= 1e-12) || !(abs(ps-qs) <= 1e-12) || !(abs(pm-19.0/36) <= 1e-12) {
		t.Errorf("MeanStd %v, %v; bytes give %v, %v", pm, ps, qm, qs)
	}
	for _, sp := range []*Split{packed.Subset(2), packed.Pick([]int{2, 0, 2})} {
		if sp.Pixels != nil || len(sp.Bits) != 2*sp.N {
			t.Fatalf("%d images in %d bytes of bits, %d of pixels", sp.N, len(sp.Bits), len(sp.Pixels))
		}
	}
	if got, want := packed.Pick([]int{2, 0, 2}).Images(), plain.Pick([]int{2, 0, 2}).Images(); !slices.Equal(got, want) {
		t.Errorf("Pick(2 0 2) images %v, want %v", got, want)
	}
	if got, want := packed.Subset(2).Images(), plain.Subset(2).Images(); !slices.Equal(got, want) {
		t.Errorf("Subset(2) images %v, want %v", got, want)
	}
	a, err := NewBatcher(packed, 2, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewBatcher(plain, 2, 5, true)
	for step := range int64(4) {
		if x, y := a.Batch(step), b.Batch(step); !slices.Equal(x.Images, y.Images) || !slices.Equal(x.Labels, y.Labels) {
			t.Errorf("step %d: the bit split's batch differs from the byte split's", step)
		}
	}
}

// abs is |x|.
func abs(x float64) float64 { return max(x, -x) }
