package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// petsFactors is a factors.csv for writeImageFolder's six images: each
// image's factors "size" and "legs", in an order of its own, with spaces
// and a quoted file name.
const petsFactors = `file,size,legs
loose.png,0,0
"dog/e.gif", 2 ,4
cat/a.png,1,4
cat/sub/c.png,0,3
dog/d.jpg,3,4
cat/b.PNG,1,4
`

// TestFolderFactors: an image folder's factors.csv gives each image its
// row, whatever the order of the rows, through the split.
func TestFolderFactors(t *testing.T) {
	dir := writeImageFolder(t)
	writeFile(t, dir, FactorsFile, []byte(petsFactors))
	set, err := Load(dir, Options{Channels: 1, TestFraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"loose.png": {0, 0}, "dog/e.gif": {2, 4}, "cat/a.png": {1, 4},
		"cat/sub/c.png": {0, 3}, "dog/d.jpg": {3, 4}, "cat/b.PNG": {1, 4}}
	seen := 0
	for _, sp := range []*Split{set.Train, set.Test} {
		if sp.Factors == nil {
			t.Fatal("a split of a folder with factors.csv has no factors")
		}
		if err := sp.Factors.Check(sp.N); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sp.Factors.Names, []string{"size", "legs"}) || !slices.Equal(sp.Factors.Sizes, []int{4, 5}) {
			t.Errorf("factors %v sized %v, want size (4 values) and legs (5)", sp.Factors.Names, sp.Factors.Sizes)
		}
		for i, file := range sp.Files {
			if !slices.Equal(sp.Factors.Row(i), want[file]) {
				t.Errorf("%s: factors %v, want %v", file, sp.Factors.Row(i), want[file])
			}
			seen++
		}
	}
	if seen != 6 || set.Skipped != 3 { // README.md, notes.txt and factors.csv
		t.Errorf("%d images checked, %d files skipped; want 6 and 3", seen, set.Skipped)
	}
	plain, err := Load(writeImageFolder(t), Options{Channels: 1})
	if err != nil || plain.Train.Factors != nil {
		t.Errorf("a folder without factors.csv: factors %v, %v", plain.Train.Factors, err)
	}
}

// TestFolderFactorsErrors: a bad factors.csv is refused with its path,
// line and column.
func TestFolderFactorsErrors(t *testing.T) {
	rows := strings.SplitAfter(petsFactors, "\n")
	edit := func(line int, text string) string { // line 1 is the header
		r := slices.Clone(rows)
		r[line-1] = text
		return strings.Join(r, "")
	}
	tests := []struct {
		name, csv, want string
	}{
		{"empty", "", "factors.csv: empty"},
		{"no factor", "file\n", "factors.csv:1: the header names no factor"},
		{"unnamed factor", edit(1, "file,,legs\n"), `factors.csv:1: column 2: the factor name "" is empty`},
		{"twice", edit(1, "file,legs,legs\n"), `column 3: the factor name "legs" is empty or given twice`},
		{"non-integer", edit(4, "cat/a.png,big,4\n"), `factors.csv:4: column 2 (size): "big" is not an integer`},
		{"fraction", edit(5, "cat/sub/c.png,0,3.5\n"), `factors.csv:5: column 3 (legs): "3.5" is not an integer`},
		{"negative", edit(6, "dog/d.jpg,-1,4\n"), `factors.csv:6: column 2 (size): "-1" is not an integer ≥ 0`},
		{"ragged", edit(3, "dog/e.gif,2\n"), "factors.csv:3: a ragged row of 2 fields: the header has 3"},
		{"long", edit(7, "cat/b.PNG,1,4,9\n"), "factors.csv:7: a ragged row of 4 fields"},
		{"unknown image", edit(2, "lose.png,0,0\n"), `factors.csv:2: column 1: "lose.png" is not an image of the folder`},
		{"not an image", edit(2, "README.md,0,0\n"), `"README.md" is not an image`},
		{"again", edit(2, "cat/a.png,0,0\n"), "factors.csv:4: column 1: cat/a.png is listed again (first on line 2)"},
		{"missing", strings.Join(rows[:6], ""), "factors.csv: no row for the image cat/b.PNG"},
		{"quote", edit(3, "dog/e.gif\",2,4\n"), "factors.csv:3: byte 10 of the line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeImageFolder(t)
			writeFile(t, dir, FactorsFile, []byte(tt.csv))
			_, err := Load(dir, Options{Channels: 1})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), filepath.Join(dir, FactorsFile)) {
				t.Errorf("error %v, want one naming %s and containing %q", err, filepath.Join(dir, FactorsFile), tt.want)
			}
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		dir := writeImageFolder(t)
		if err := os.Mkdir(filepath.Join(dir, FactorsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir, Options{Channels: 1}); err == nil || !strings.Contains(err.Error(), FactorsFile) {
			t.Errorf("a folder named factors.csv: %v", err)
		}
	})
}

// TestFolderFactorsSkipBad: a row may name an image skipped as corrupt.
func TestFolderFactorsSkipBad(t *testing.T) {
	dir := writeImageFolder(t)
	writeFile(t, dir, "dog/broken.png", []byte("not a png"))
	writeFile(t, dir, FactorsFile, []byte(petsFactors+"dog/broken.png,0,4\n"))
	set, err := Load(dir, Options{Channels: 1, SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if set.BadSkipped != 1 || set.Train.Factors.Len()+set.Test.Factors.Len() != 6 {
		t.Errorf("%d skipped, %d+%d rows of factors; want 1, 6", set.BadSkipped, set.Train.Factors.Len(), set.Test.Factors.Len())
	}
}
