package main

import (
	"image"
	"image/gif"
	"os"
	"path/filepath"
	"testing"
)

// genReadGIF decodes a GIF file.
func genReadGIF(t *testing.T, path string) *gif.GIF {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return g
}

func TestInterpolateRandom(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	tests := []struct {
		name         string
		args         []string
		frames, fps  int
		width        int
		stripRows    int // 0: no strip
		stripColumns int
	}{
		{"defaults", nil, 16, 12, 1, 0, 0},
		{"loop", []string{"--frames", "5", "--fps", "25", "--loop"}, 8, 25, 1, 0, 0},
		{"pairs and strip", []string{"--frames", "4", "--pairs", "3", "--method", "lerp", "--strip", "STRIP"}, 4, 12, 3, 3, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, strip := filepath.Join(out, tc.name+".gif"), filepath.Join(out, tc.name+".png")
			args := []string{"interpolate", "--run", runDir, "--scale", "1", "-o", path}
			for _, a := range tc.args {
				if a == "STRIP" {
					a = strip
				}
				args = append(args, a)
			}
			genMustRun(t, args...)
			g := genReadGIF(t, path)
			if len(g.Image) != tc.frames {
				t.Errorf("%d frames, want %d", len(g.Image), tc.frames)
			}
			if want := 100 / tc.fps; g.Delay[0] != want || g.LoopCount != 0 {
				t.Errorf("delay %d, loop count %d; want %d and 0 (forever)", g.Delay[0], g.LoopCount, want)
			}
			if got, want := image.Pt(g.Config.Width, g.Config.Height), genGridSize(1, tc.width, 1); got != want {
				t.Errorf("frames are %v, want %v", got, want)
			}
			if tc.stripRows == 0 {
				return
			}
			if got, want := readPNG(t, strip).Bounds().Size(), genGridSize(tc.stripRows, tc.stripColumns, 1); got != want {
				t.Errorf("strip is %v, want %v (a row of frames per pair)", got, want)
			}
			// Run again: the same bytes.
			path2, strip2 := filepath.Join(out, "again.gif"), filepath.Join(out, "again.png")
			for i, a := range args {
				switch a {
				case path:
					args[i] = path2
				case strip:
					args[i] = strip2
				}
			}
			genMustRun(t, args...)
			genSameFiles(t, path, path2)
			genSameFiles(t, strip, strip2)
		})
	}
}

func TestInterpolateLoopPlaysBack(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	path := filepath.Join(t.TempDir(), "loop.gif")
	genMustRun(t, "interpolate", "--run", runDir, "--frames", "4", "--loop", "--scale", "1", "-o", path)
	g := genReadGIF(t, path)
	// f0 f1 f2 f3 f2 f1: frame 4 repeats frame 2, frame 5 frame 1.
	for _, p := range [][2]int{{4, 2}, {5, 1}} {
		if string(g.Image[p[0]].Pix) != string(g.Image[p[1]].Pix) {
			t.Errorf("frame %d differs from frame %d", p[0], p[1])
		}
	}
	if string(g.Image[0].Pix) == string(g.Image[3].Pix) {
		t.Error("the endpoints decode to the same frame: the test cannot tell frames apart")
	}
}

func TestInterpolateImageEndpoints(t *testing.T) {
	runDir, test := genTestRun(t, 1)
	out := t.TempDir()
	// Test images 2 and 5 as PNG files: the same pixels, so the same encodings.
	size := genSide * genSide
	files := map[int]string{}
	for _, i := range []int{2, 5} {
		img := image.NewGray(image.Rect(0, 0, genSide, genSide))
		copy(img.Pix, test[i*size:(i+1)*size])
		files[i] = filepath.Join(out, "img"+string(rune('0'+i))+".png")
		writePNGFile(t, files[i], img)
	}
	byIndex, byFile := filepath.Join(out, "index.gif"), filepath.Join(out, "file.gif")
	strip := filepath.Join(out, "strip.png")
	genMustRun(t, "interpolate", "--run", runDir, "--from-index", "2", "--to-index", "5", "--frames", "5",
		"--scale", "1", "-o", byIndex, "--strip", strip)
	genMustRun(t, "interpolate", "--run", runDir, "--from", files[2], "--to", files[5], "--frames", "5",
		"--scale", "1", "-o", byFile)
	genSameFiles(t, byIndex, byFile)

	// The strip's first and last frames are the reconstructions of images 2 and 5.
	want := genReconstructed(t, runDir, test, genTestN)
	img := readPNG(t, strip)
	for col, i := range map[int]int{0: 2, 4: 5} {
		if got := genCell(img, 0, col); !genClose(got, want[i*size:(i+1)*size]) {
			t.Errorf("strip frame %d is not the reconstruction of test image %d", col, i)
		}
	}
}

func writePNGFile(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := genWritePNG(path, img); err != nil {
		t.Fatal(err)
	}
}

func TestInterpolateRGB(t *testing.T) {
	runDir, _ := genTestRun(t, 3)
	out := t.TempDir()
	a, b := filepath.Join(out, "a.gif"), filepath.Join(out, "b.gif")
	for _, p := range []string{a, b} {
		genMustRun(t, "interpolate", "--run", runDir, "--frames", "6", "--pairs", "2", "--scale", "2", "-o", p)
	}
	g := genReadGIF(t, a)
	if len(g.Image) != 6 || image.Pt(g.Config.Width, g.Config.Height) != genGridSize(1, 2, 2) {
		t.Errorf("%d frames of %dx%d, want 6 of %v", len(g.Image), g.Config.Width, g.Config.Height, genGridSize(1, 2, 2))
	}
	genSameFiles(t, a, b)
}

func TestInterpolateErrors(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	in := t.TempDir()
	garbage := filepath.Join(in, "garbage.png")
	if err := os.WriteFile(garbage, []byte("this is no image"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(in, "good.png")
	writePNGFile(t, good, image.NewGray(image.Rect(0, 0, 5, 5)))
	out := t.TempDir()
	o, s := filepath.Join(out, "i.gif"), filepath.Join(out, "s.png")
	tests := []struct {
		name, want string
		args       []string
	}{
		{"index out of range", "--to-index 12: out of range", []string{"--from-index", "0", "--to-index", "12"}},
		{"pairs run out of indices", "--from-index 9: out of range", []string{"--from-index", "9", "--to-index", "0", "--pairs", "4"}},
		{"negative index", "must be ≥ 0", []string{"--from-index", "-1", "--to-index", "0"}},
		{"one index", "go together", []string{"--from-index", "1"}},
		{"missing file", "missing.png", []string{"--from", filepath.Join(in, "missing.png"), "--to", good}},
		{"unreadable file", "garbage.png", []string{"--from", good, "--to", garbage}},
		{"one file", "go together", []string{"--from", good}},
		{"files and indices", "one kind", []string{"--from", good, "--to", good, "--from-index", "0", "--to-index", "1"}},
		{"files and pairs", "--pairs", []string{"--from", good, "--to", good, "--pairs", "2"}},
		{"method", "cubic", []string{"--method", "cubic"}},
		{"one frame", "--frames 1", []string{"--frames", "1"}},
		{"fps", "--fps 0", []string{"--fps", "0"}},
		{"bad run", "not a run folder", []string{"--run", in}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"interpolate", "--run", runDir, "-o", o, "--strip", s}, tc.args...)
			genMustFail(t, out, tc.want, args...)
		})
	}
}
