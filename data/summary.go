package data

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteSummary writes the sizes, shape, label counts and pixel statistics
// of the set, as `latent data` prints them.
func (s *Set) WriteSummary(w io.Writer) {
	tr, te := s.Train, s.Test
	where := s.Dir
	switch {
	case s.About != "":
		where = s.About
	case where == "":
		where = "generated, not read from files"
	}
	fmt.Fprintf(w, "data set:   %s (%s)\n", s.Name, where)
	fmt.Fprintf(w, "train:      %d images\n", tr.N)
	fmt.Fprintf(w, "test:       %d images\n", te.N)
	fmt.Fprintf(w, "shape:      %dx%dx%d (HxWxC)\n", tr.Height, tr.Width, tr.Channels)
	if note := s.ChannelsNote(); note != "" {
		fmt.Fprintf(w, "            %s\n", note)
	}
	mean, std := tr.MeanStd()
	fmt.Fprintf(w, "pixels:     mean %.4f, std %.4f (train)", mean, std)
	if tr.Bits != nil {
		fmt.Fprint(w, ", binary, held as bits")
	}
	fmt.Fprintln(w)
	if f := tr.Factors; f != nil {
		fmt.Fprintf(w, "factors:    %d:", f.NumFactors())
		for k, name := range f.Names {
			sep := ","
			if k == 0 {
				sep = ""
			}
			fmt.Fprintf(w, "%s %s (%d values)", sep, name, f.Sizes[k])
		}
		fmt.Fprintln(w)
	}
	if s.Name == s.Dir { // a folder given by path
		fmt.Fprintf(w, "skipped:    %d non-image files, %d corrupt images\n", s.Skipped, s.BadSkipped)
	}
	fmt.Fprintf(w, "classes:    %d\n", len(s.Classes))
	trainCounts, testCounts := tr.LabelCounts(len(s.Classes)), te.LabelCounts(len(s.Classes))
	fmt.Fprintf(w, "%6s  %-14s %8s %8s\n", "label", "class", "train", "test")
	for l := range max(len(trainCounts), len(testCounts)) {
		fmt.Fprintf(w, "%6d  %-14s %8d %8d\n", l, s.className(l), countAt(trainCounts, l), countAt(testCounts, l))
	}
}

// WriteList writes every image of sp, a split of the set, as a table:
// index, label, class name, for folders its file and, for a set with
// factors, each factor's value.
func (s *Set) WriteList(w io.Writer, sp *Split) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "index\tlabel\tclass"
	if sp.Files != nil {
		head += "\tfile"
	}
	if sp.Factors != nil {
		head += "\t" + strings.Join(sp.Factors.Names, "\t")
	}
	fmt.Fprintln(tw, head)
	for i, l := range sp.Labels {
		line := fmt.Sprintf("%d\t%d\t%s", i, l, s.className(l))
		if sp.Files != nil {
			line += "\t" + sp.Files[i]
		}
		if sp.Factors != nil {
			for _, v := range sp.Factors.Row(i) {
				line += "\t" + strconv.Itoa(v)
			}
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// LabelName names label by the set's classes, or by its number when the
// set has no class of that label.
func (s *Set) LabelName(label int) string {
	if label >= 0 && label < len(s.Classes) {
		return s.Classes[label]
	}
	return strconv.Itoa(label)
}

// className is the printable name of label in the summary and the list:
// "?" for a label past the classes, "(top folder)" for images directly in
// a folder set's folder.
func (s *Set) className(label int) string {
	switch {
	case label < 0 || label >= len(s.Classes):
		return "?"
	case s.Classes[label] == "":
		return "(top folder)"
	}
	return s.Classes[label]
}

// countAt returns counts[i], or 0 past its end.
func countAt(counts []int, i int) int {
	if i < len(counts) {
		return counts[i]
	}
	return 0
}

// AcrossClasses returns the indices of up to n images of labels, taking in
// turn the next image of each class (by label order), so that a preview
// shows every class however the images are ordered.
func AcrossClasses(labels []int, n int) []int {
	byClass := map[int][]int{}
	var classes []int
	for i, l := range labels {
		if _, ok := byClass[l]; !ok {
			classes = append(classes, l)
		}
		byClass[l] = append(byClass[l], i)
	}
	slices.Sort(classes)
	var picked []int
	for round := 0; len(picked) < n; round++ {
		added := false
		for _, l := range classes {
			if round < len(byClass[l]) && len(picked) < n {
				picked = append(picked, byClass[l][round])
				added = true
			}
		}
		if !added {
			break // fewer than n images
		}
	}
	return picked
}
