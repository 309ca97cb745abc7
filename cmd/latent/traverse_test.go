package main

import (
	"image"
	"path/filepath"
	"strconv"
	"testing"
)

func TestTraverse(t *testing.T) {
	runDir, test := genTestRun(t, 1)
	out := t.TempDir()
	const steps = 5 // the middle step, 2, is the base code itself
	tests := []struct {
		name   string
		args   []string
		frames int
	}{
		{"zero base", nil, steps},
		{"seed base, looping GIF", []string{"--seed", "4", "--loop"}, 2*steps - 2},
		{"test image base", []string{"--index", "3", "--range", "1.5"}, steps},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			png, gifPath := filepath.Join(out, tc.name+".png"), filepath.Join(out, tc.name+".gif")
			args := append([]string{"traverse", "--run", runDir, "--steps", strconv.Itoa(steps), "--scale", "1",
				"-o", png, "--gif", gifPath}, tc.args...)
			genMustRun(t, args...)
			img := readPNG(t, png)
			if got, want := img.Bounds().Size(), genGridSize(2, steps, 1); got != want {
				t.Errorf("traversal is %v, want %v (a row of %d steps per latent dimension)", got, want, steps)
			}
			// Both rows pass through the base code at the middle step.
			mid0, mid1 := genCell(img, 0, steps/2), genCell(img, 1, steps/2)
			if string(mid0) != string(mid1) {
				t.Error("the rows' middle cells differ: both should be the base code")
			}
			if string(genCell(img, 0, 0)) == string(genCell(img, 0, steps-1)) {
				t.Error("a row's ends are the same image: the dimension was not swept")
			}
			if tc.name == "test image base" {
				want := genReconstructed(t, runDir, test, genTestN)[3*genSide*genSide : 4*genSide*genSide]
				if !genClose(mid0, want) {
					t.Error("the base is not the encoder mean of test image 3")
				}
			}
			g := genReadGIF(t, gifPath)
			if len(g.Image) != tc.frames {
				t.Errorf("%d GIF frames, want %d", len(g.Image), tc.frames)
			}
			// Frame t: each dimension at step t, as a 2×1 grid.
			if got, want := image.Pt(g.Config.Width, g.Config.Height), genGridSize(1, 2, 1); got != want {
				t.Errorf("GIF frames are %v, want %v", got, want)
			}
			if g.Delay[0] != 17 { // the default 6 fps
				t.Errorf("delay %d, want 17", g.Delay[0])
			}
			if string(genCell(g.Image[steps/2], 0, 0)) != string(mid0) {
				t.Error("the GIF's middle frame does not show the base code")
			}
			// The same flags again: the same bytes.
			png2, gif2 := filepath.Join(out, "again.png"), filepath.Join(out, "again.gif")
			genMustRun(t, append([]string{"traverse", "--run", runDir, "--steps", strconv.Itoa(steps), "--scale", "1",
				"-o", png2, "--gif", gif2}, tc.args...)...)
			genSameFiles(t, png, png2)
			genSameFiles(t, gifPath, gif2)
		})
	}
}

func TestTraverseErrors(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	o, g := filepath.Join(out, "t.png"), filepath.Join(out, "t.gif")
	tests := []struct {
		name, want string
		args       []string
	}{
		{"index out of range", "--index 12: out of range", []string{"--index", "12"}},
		{"seed and index", "give one", []string{"--seed", "1", "--index", "0"}},
		{"one step", "--steps 1", []string{"--steps", "1"}},
		{"zero range", "--range 0", []string{"--range", "0"}},
		{"gif folder missing", "does not exist", []string{"--gif", filepath.Join(out, "no", "t.gif")}},
		{"bad run", "not a run folder", []string{"--run", out}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			genMustFail(t, out, tc.want, append([]string{"traverse", "--run", runDir, "-o", o, "--gif", g}, tc.args...)...)
		})
	}
}
