package data

import (
	"slices"
	"strings"
	"testing"
)

// TestAcrossClasses: the next image of each class in turn, classes by
// label, and no more than there are images.
func TestAcrossClasses(t *testing.T) {
	labels := []int{2, 0, 0, 1, 2, 0}
	for _, c := range []struct {
		n    int
		want []int
	}{
		{3, []int{1, 3, 0}},
		{5, []int{1, 3, 0, 2, 4}},
		{10, []int{1, 3, 0, 2, 4, 5}},
		{0, nil},
	} {
		if got := AcrossClasses(labels, c.n); !slices.Equal(got, c.want) {
			t.Errorf("AcrossClasses(%v, %d) = %v, want %v", labels, c.n, got, c.want)
		}
	}
}

// TestLabelNames: a label by its class name, else its number; the list
// names images of the top folder and labels past the classes.
func TestLabelNames(t *testing.T) {
	set := &Set{Classes: []string{"", "cat"}}
	for l, want := range map[int]string{0: "", 1: "cat", 2: "2", -1: "-1"} {
		if got := set.LabelName(l); got != want {
			t.Errorf("LabelName(%d) = %q, want %q", l, got, want)
		}
	}
	sp := &Split{Labels: []int{1, 0, 3}, N: 3, Files: []string{"cat/a.png", "b.png", "c.png"}}
	var b strings.Builder
	if err := set.WriteList(&b, sp); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := [][]string{{"index", "label", "class", "file"}, {"0", "1", "cat", "cat/a.png"}, {"1", "0", "(top", "folder)", "b.png"}, {"2", "3", "?", "c.png"}}
	if len(lines) != len(want) {
		t.Fatalf("WriteList: %q, want %d lines", b.String(), len(want))
	}
	for i, line := range lines {
		if got := strings.Fields(line); !slices.Equal(got, want[i]) {
			t.Errorf("WriteList line %d: %q, want %q", i, got, want[i])
		}
	}
}

// TestWriteSummary: sizes, shape and a row per label with both splits'
// counts.
func TestWriteSummary(t *testing.T) {
	set := &Set{Name: "toy", Dir: "/d", Classes: []string{"a", "b"},
		Train: &Split{Pixels: []uint8{0, 255, 255, 0, 0, 0}, Labels: []int{0, 1, 1}, N: 3, Height: 1, Width: 2, Channels: 1},
		Test:  &Split{Pixels: []uint8{0, 0}, Labels: []int{1}, N: 1, Height: 1, Width: 2, Channels: 1}}
	var b strings.Builder
	set.WriteSummary(&b)
	for _, want := range []string{"data set:   toy (/d)\n", "train:      3 images\n", "shape:      1x2x1 (HxWxC)\n",
		"pixels:     mean 0.3333, std 0.4714 (train)\n", "     0  a                     1        0\n", "     1  b                     2        1\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary %q lacks %q", b.String(), want)
		}
	}
}

// TestWriteSummaryGenerated: a generated set, read from no folder, says so
// instead of an empty pair of brackets.
func TestWriteSummaryGenerated(t *testing.T) {
	set := &Set{Name: Shapes, Train: &Split{Height: 1, Width: 1, Channels: 3}, Test: &Split{Height: 1, Width: 1, Channels: 3}}
	var b strings.Builder
	set.WriteSummary(&b)
	if want := "data set:   shapes (generated, not read from files)\n"; !strings.Contains(b.String(), want) {
		t.Errorf("summary %q lacks %q", b.String(), want)
	}
}

// TestWriteSummaryFactors: a set that says what it is, holds bits and has
// factors says so, and its list gives each image's factors.
func TestWriteSummaryFactors(t *testing.T) {
	train := &Split{Bits: []byte{0b11000000, 0b10000000}, Labels: []int{0, 1}, N: 2, Height: 1, Width: 2, Channels: 1,
		Factors: &Factors{Names: []string{"shape", "x"}, Sizes: []int{2, 32}, Values: []int{0, 5, 1, 31}}}
	set := &Set{Name: Sprites, Dir: "/d", About: "generated: 3 images", Classes: []string{"a", "b"}, Train: train, Test: train.Subset(1)}
	var b strings.Builder
	set.WriteSummary(&b)
	for _, want := range []string{"data set:   sprites (generated: 3 images)\n", "pixels:     mean 0.7500, std 0.4330 (train), binary, held as bits\n",
		"factors:    2: shape (2 values), x (32 values)\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary %q lacks %q", b.String(), want)
		}
	}
	b.Reset()
	if err := set.WriteList(&b, train); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"index", "label", "class", "shape", "x"}, {"0", "0", "a", "0", "5"}, {"1", "1", "b", "1", "31"}}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("WriteList: %q, want %d lines", b.String(), len(want))
	}
	for i, line := range lines {
		if got := strings.Fields(line); !slices.Equal(got, want[i]) {
			t.Errorf("WriteList line %d: %q, want %q", i, got, want[i])
		}
	}
}
