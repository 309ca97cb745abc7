package data

import (
	"bytes"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// encodeImage returns a w×h image of colour c encoded in the format named
// by ext.
func encodeImage(t testing.TB, ext string, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	var err error
	switch ext {
	case ".png":
		err = png.Encode(&buf, img)
	case ".jpg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100})
	case ".gif":
		err = gif.Encode(&buf, img, &gif.Options{NumColors: 256})
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeImageFolder writes a folder of 8×6 images: 3 cats (PNG, one of them
// red), 2 dogs (JPEG and GIF), one loose image in the root, and 2 files that
// are not images.
func writeImageFolder(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	white, red := color.RGBA{255, 255, 255, 255}, color.RGBA{255, 0, 0, 255}
	writeFile(t, dir, "cat/a.png", encodeImage(t, ".png", 8, 6, white))
	writeFile(t, dir, "cat/b.PNG", encodeImage(t, ".png", 8, 6, red))
	writeFile(t, dir, "cat/sub/c.png", encodeImage(t, ".png", 8, 6, white))
	writeFile(t, dir, "dog/d.jpg", encodeImage(t, ".jpg", 8, 6, white))
	writeFile(t, dir, "dog/e.gif", encodeImage(t, ".gif", 8, 6, color.RGBA{0, 0, 0, 255}))
	writeFile(t, dir, "loose.png", encodeImage(t, ".png", 8, 6, white))
	writeFile(t, dir, "README.md", []byte("# pets"))
	writeFile(t, dir, "dog/notes.txt", []byte("good dogs"))
	writeFile(t, dir, ".git/objects/x.png", []byte("hidden folders are not read"))
	return dir
}

func TestLoadFolder(t *testing.T) {
	dir := writeImageFolder(t)
	tests := []struct {
		name       string
		opt        Options
		h, w, c    int
		nTest      int
		redPixel   []float32 // the first pixel of cat/b.PNG
		whitePixel float32   // the first value of cat/a.png
	}{
		{"grey", Options{Channels: 1}, 6, 8, 1, 1, []float32{19595.0 / 65536}, 1},
		{"detected", Options{}, 6, 8, 3, 1, []float32{1, 0, 0}, 1}, // the folder holds a red image: RGB
		{"rgb", Options{Channels: 3}, 6, 8, 3, 1, []float32{1, 0, 0}, 1},
		{"resized", Options{ImageSize: 4, Channels: 3, TestFraction: 0.5}, 4, 4, 3, 3, []float32{1, 0, 0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Load(dir, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"", "cat", "dog"}; !slices.Equal(set.Classes, want) {
				t.Errorf("classes %q, want %q", set.Classes, want)
			}
			if set.ChannelsDetected != (tt.opt.Channels == 0) {
				t.Errorf("ChannelsDetected %v with Options.Channels %d", set.ChannelsDetected, tt.opt.Channels)
			}
			if set.Skipped != 2 || set.BadSkipped != 0 {
				t.Errorf("skipped %d, bad %d; want 2, 0", set.Skipped, set.BadSkipped)
			}
			tr, te := set.Train, set.Test
			if tr.N+te.N != 6 || te.N != tt.nTest {
				t.Errorf("%d train + %d test images, want %d + %d", tr.N, te.N, 6-tt.nTest, tt.nTest)
			}
			for _, s := range []*Split{tr, te} {
				if s.Height != tt.h || s.Width != tt.w || s.Channels != tt.c || len(s.Pixels) != s.N*tt.h*tt.w*tt.c {
					t.Errorf("split of %d images of %dx%dx%d holding %d values, want %dx%dx%d",
						s.N, s.Height, s.Width, s.Channels, len(s.Pixels), tt.h, tt.w, tt.c)
				}
			}
			all := slices.Concat(tr.Labels, te.Labels)
			slices.Sort(all)
			if want := []int{0, 1, 1, 1, 2, 2}; !slices.Equal(all, want) {
				t.Errorf("labels %v, want %v", all, want)
			}
			red, white := findImage(set, tt.redPixel), findImage(set, []float32{tt.whitePixel})
			if !red || !white {
				t.Errorf("found red image %v, white image %v; want both", red, white)
			}
		})
	}
}

// findImage reports whether some image of set starts with a pixel within
// 1/255 of want (or, with one value, whose first value is want).
func findImage(set *Set, want []float32) bool {
	for _, s := range []*Split{set.Train, set.Test} {
		for i := range s.N {
			px := s.Image(i)[:len(want)]
			ok := true
			for j := range want {
				ok = ok && px[j] > want[j]-1.0/255 && px[j] < want[j]+1.0/255
			}
			if ok {
				return true
			}
		}
	}
	return false
}

func TestLoadFolderErrors(t *testing.T) {
	white := color.RGBA{255, 255, 255, 255}
	tests := []struct {
		name    string
		files   map[string][]byte
		opt     Options
		file    string // the file or folder the error must name, relative to the folder
		want    string
		skipped int // with SkipBad: images skipped, or -1 if it still fails
	}{
		{"empty folder", nil, Options{}, "", "holds no PNG, JPEG or GIF images", -1},
		{"only other files", map[string][]byte{"a.txt": []byte("x")}, Options{}, "", "(1 other files skipped)", -1},
		{"text file named .png", map[string][]byte{
			"ok/a.png":  encodeImage(t, ".png", 4, 4, white),
			"bad/b.png": []byte("this is text, not a PNG"),
		}, Options{}, "bad/b.png", "decoding", 1},
		{"truncated png", map[string][]byte{
			"ok/a.png":  encodeImage(t, ".png", 4, 4, white),
			"bad/c.png": encodeImage(t, ".png", 4, 4, white)[:40],
		}, Options{}, "bad/c.png", "decoding", 1},
		{"only corrupt images", map[string][]byte{"a.jpg": []byte("nope")}, Options{}, "a.jpg", "decoding", -1},
		{"images of different sizes", map[string][]byte{
			"a.png": encodeImage(t, ".png", 4, 4, white),
			"b.png": encodeImage(t, ".png", 5, 4, white),
		}, Options{}, "b.png", "is 5x4 but", -1},
		{"bad channels", map[string][]byte{"a.png": encodeImage(t, ".png", 4, 4, white)}, Options{Channels: 2}, "", "channels must be 1 or 3", -1},
		{"bad test fraction", map[string][]byte{"a.png": encodeImage(t, ".png", 4, 4, white)}, Options{TestFraction: 1}, "", "test fraction", -1},
		{"bad image size", map[string][]byte{"a.png": encodeImage(t, ".png", 4, 4, white)}, Options{ImageSize: -3}, "", "image size", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, b := range tt.files {
				writeFile(t, dir, name, b)
			}
			_, err := Load(dir, tt.opt)
			want := []string{tt.want}
			if tt.file != "" {
				want = append(want, filepath.Join(dir, tt.file))
			} else if tt.opt == (Options{}) {
				want = append(want, dir)
			}
			wantErr(t, err, want...)
			opt := tt.opt
			opt.SkipBad = true
			set, err := Load(dir, opt)
			switch {
			case tt.skipped < 0 && err == nil:
				t.Errorf("with SkipBad: no error, want one")
			case tt.skipped >= 0 && err != nil:
				t.Errorf("with SkipBad: %v", err)
			case tt.skipped >= 0 && (set.BadSkipped != tt.skipped || set.Train.N+set.Test.N != 1):
				t.Errorf("with SkipBad: %d skipped, %d loaded; want %d, 1", set.BadSkipped, set.Train.N+set.Test.N, tt.skipped)
			}
		})
	}
}

func TestLoadFolderTooLarge(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "big.png", encodeImage(t, ".png", 20, 20, color.RGBA{A: 255}))
	_, err := loadFolder(dir, Options{}, 100)
	wantErr(t, err, filepath.Join(dir, "big.png"), "larger than the limit of 100 pixels")
}

func TestSplitIndices(t *testing.T) {
	tests := []struct {
		n     int
		frac  float64
		nTest int
	}{{1, 0.1, 0}, {2, 0.1, 1}, {10, 0.1, 1}, {10, 0.99, 9}, {100, 0.25, 25}, {1000, 0.1, 100}}
	for _, tt := range tests {
		train, test := splitIndices(tt.n, tt.frac, 7)
		if len(test) != tt.nTest || len(train) != tt.n-tt.nTest {
			t.Errorf("n=%d frac=%v: %d train, %d test; want %d test", tt.n, tt.frac, len(train), len(test), tt.nTest)
		}
		all := slices.Concat(train, test)
		slices.Sort(all)
		for i, v := range all {
			if v != i {
				t.Fatalf("n=%d: indices %v are not a partition of 0..%d", tt.n, all, tt.n-1)
			}
		}
		if !slices.IsSorted(train) || !slices.IsSorted(test) {
			t.Errorf("n=%d: splits not in order", tt.n)
		}
		_, again := splitIndices(tt.n, tt.frac, 7)
		if !slices.Equal(test, again) {
			t.Errorf("n=%d: the same seed gave test %v then %v", tt.n, test, again)
		}
	}
	_, a := splitIndices(1000, 0.1, 1)
	_, b := splitIndices(1000, 0.1, 2)
	if slices.Equal(a, b) {
		t.Errorf("seeds 1 and 2 gave the same split")
	}
}

func FuzzLoadFolder(f *testing.F) {
	white := color.RGBA{255, 255, 255, 255}
	for i, ext := range []string{".png", ".jpg", ".gif"} {
		f.Add(encodeImage(f, ext, 5, 3, white), uint8(i))
	}
	f.Add([]byte("text"), uint8(0))
	f.Add([]byte{}, uint8(3))
	palettedGIF := func() []byte {
		var buf bytes.Buffer
		img := image.NewPaletted(image.Rect(0, 0, 2, 2), palette.Plan9)
		if err := gif.Encode(&buf, img, nil); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}()
	f.Add(palettedGIF, uint8(2|4))
	f.Fuzz(func(t *testing.T, b []byte, choice uint8) {
		dir := t.TempDir()
		name := "x" + []string{".png", ".jpg", ".gif", ".txt"}[choice%4]
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := Options{SkipBad: choice&4 != 0, Channels: 1 + 2*int(choice>>3&1)}
		if choice&16 != 0 {
			opt.ImageSize = 3
		}
		set, err := loadFolder(dir, opt, 1<<16)
		if err != nil {
			return
		}
		s := set.Train
		if set.Train.N+set.Test.N != 1 || len(s.Pixels) != s.N*s.Height*s.Width*s.Channels {
			t.Fatalf("loaded %d+%d images, %d values for %dx%dx%d", set.Train.N, set.Test.N, len(s.Pixels), s.Height, s.Width, s.Channels)
		}
	})
}
