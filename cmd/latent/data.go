package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
)

// dataCommand defines `latent data`'s flags on fs and returns its body, runData.
func dataCommand(fs *pflag.FlagSet) runFunc {
	d, o := dataFlags(fs)
	return func(args []string, stdout, stderr io.Writer) error { return runData(fs, d, o, args, stdout, stderr) }
}

// runData implements `latent data`: a summary of a data set, optionally a
// list of a split's images (index, label, file) and a grid of images
// sampled across its classes; `latent data fetch` downloads a set.
func runData(fs *pflag.FlagSet, d *rundir.DataConfig, o *dataOptions, args []string, stdout, stderr io.Writer) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := o.check(flagsSet(fs)); err != nil {
		return err
	}
	set, err := d.Load()
	if err != nil {
		return err
	}
	sp := set.Train
	if o.split == "test" {
		sp = set.Test
	}
	summary := summaryTo(*o.out, stdout, stderr)
	if o.list {
		summary = stderr // stdout holds the list
	}
	printDataSummary(summary, set)
	if o.list {
		listImages(stdout, set, sp)
	}
	if *o.out == "" {
		return nil
	}
	picked := acrossClasses(sp.Labels, min(64, sp.N))
	if err := writePNG(*o.out, stdout, previewGrid(set, sp, picked, o.numbers)); err != nil {
		return err
	}
	numbers := ""
	if o.numbers {
		numbers = ", each captioned index:label"
	}
	fmt.Fprintf(summary, "wrote %s: %d %s images, the first of each class in turn%s\n", outName(*o.out), len(picked), splitName(o.split), numbers)
	return nil
}

// dataOptions are the flags of `latent data` beside the data flags.
type dataOptions struct {
	out           *string
	split         string
	list, numbers bool
}

// check validates the options; set holds the flags given.
func (o *dataOptions) check(set map[string]bool) error {
	switch {
	case o.split != "train" && o.split != "test":
		return usagef("--split %q: want train or test", o.split)
	case o.numbers && *o.out == "":
		return usagef("--numbers captions the grid of -o: give -o grid.png")
	case o.list && *o.out == stdoutPath:
		return usagef("--list and -o -: both write to stdout; give -o a file name")
	}
	if *o.out != "" {
		if _, err := checkOut("-o", *o.out, formatPNG); err != nil {
			return err
		}
	}
	return nil
}

// splitName names a split as the summaries do.
func splitName(split string) string {
	return map[string]string{"train": "training", "test": "test"}[split]
}

// dataFlags defines the flags of `latent data` on fs: the data flags that
// `latent train` shares, -o, --split, --list and --numbers.
func dataFlags(fs *pflag.FlagSet) (*rundir.DataConfig, *dataOptions) {
	d := rundir.DefaultDataConfig()
	bindDataFlags(fs, &d)
	o := &dataOptions{}
	o.out = outFlag(fs, "", "a grid of up to 64 images of --split, the first of each class in turn (default: none)", formatPNG)
	fs.StringVar(&o.split, "split", "train", "split that --list and -o show: train or test")
	fs.BoolVar(&o.list, "list", false, "print every image of --split on stdout: its index (what --index and /api/test/N take), label, class and, for folders, file")
	fs.BoolVar(&o.numbers, "numbers", false, "caption each image of -o's grid with its index and label")
	return &d, o
}

// acrossClasses returns the indices of up to n images, taking in turn the
// next image of each class (by label order), so that a preview shows every
// class however the images are ordered.
func acrossClasses(labels []int, n int) []int {
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
		for _, l := range classes {
			if round < len(byClass[l]) && len(picked) < n {
				picked = append(picked, byClass[l][round])
			}
		}
	}
	return picked
}

// previewGrid draws the images of sp at indices, 8 a row; numbered, each
// is captioned with its index and label.
func previewGrid(set *data.Set, sp *data.Split, indices []int, numbered bool) image.Image {
	const cols, scale = 8, 3
	var images []float32
	for _, i := range indices {
		images = sp.AppendImage(images, i)
	}
	if !numbered {
		return generate.Grid(images, len(indices), sp.Height, sp.Width, sp.Channels, cols, scale)
	}
	captions := make([]string, len(indices))
	for k, i := range indices {
		captions[k] = fmt.Sprintf("%d:%s", i, labelName(set, sp.Labels[i]))
	}
	return captionedGrid(images, captions, sp.Height, sp.Width, sp.Channels, cols, scale)
}

// captionedGrid draws images (NHWC in [0,1], h×w×c each, one per caption)
// in rows of cols, upscaled by scale, each captioned above with its text
// (such as index:label): a band of generate.StackBands per row.
func captionedGrid(images []float32, captions []string, h, w, c, cols, scale int) image.Image {
	size := h * w * c
	var bands []generate.Band
	for r := 0; r < len(captions); r += cols {
		row := captions[r:min(r+cols, len(captions))]
		bands = append(bands, generate.Band{Images: images[r*size : (r+len(row))*size], N: len(row),
			Labels: generate.Labels{Cols: row}})
	}
	return generate.StackBands(bands, h, w, c, cols, scale)
}

// listImages prints every image of sp: index, label, class name and, for
// folders, file.
func listImages(w io.Writer, set *data.Set, sp *data.Split) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "index\tlabel\tclass"
	if sp.Files != nil {
		head += "\tfile"
	}
	fmt.Fprintln(tw, head)
	for i, l := range sp.Labels {
		line := fmt.Sprintf("%d\t%d\t%s", i, l, dataClassName(set.Classes, l))
		if sp.Files != nil {
			line += "\t" + sp.Files[i]
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// printDataSummary writes the sizes, shape, label counts and pixel statistics of
// a set.
func printDataSummary(w io.Writer, set *data.Set) {
	tr, te := set.Train, set.Test
	fmt.Fprintf(w, "data set:   %s (%s)\n", set.Name, set.Dir)
	fmt.Fprintf(w, "train:      %d images\n", tr.N)
	fmt.Fprintf(w, "test:       %d images\n", te.N)
	fmt.Fprintf(w, "shape:      %dx%dx%d (HxWxC)\n", tr.Height, tr.Width, tr.Channels)
	if note := set.ChannelsNote(); note != "" {
		fmt.Fprintf(w, "            %s\n", note)
	}
	mean, std := tr.MeanStd()
	fmt.Fprintf(w, "pixels:     mean %.4f, std %.4f (train)\n", mean, std)
	if set.Name == set.Dir { // a folder given by path
		fmt.Fprintf(w, "skipped:    %d non-image files, %d corrupt images\n", set.Skipped, set.BadSkipped)
	}
	fmt.Fprintf(w, "classes:    %d\n", len(set.Classes))
	trainCounts, testCounts := tr.LabelCounts(len(set.Classes)), te.LabelCounts(len(set.Classes))
	fmt.Fprintf(w, "%6s  %-14s %8s %8s\n", "label", "class", "train", "test")
	for l := range max(len(trainCounts), len(testCounts)) {
		fmt.Fprintf(w, "%6d  %-14s %8d %8d\n", l, dataClassName(set.Classes, l), countAt(trainCounts, l), countAt(testCounts, l))
	}
}

// dataClassName returns the printable name of a label.
func dataClassName(classes []string, label int) string {
	switch {
	case label >= len(classes):
		return "?"
	case classes[label] == "":
		return "(top folder)"
	}
	return classes[label]
}

// countAt returns counts[i], or 0 past its end.
func countAt(counts []int, i int) int {
	if i < len(counts) {
		return counts[i]
	}
	return 0
}

// dataFetchCommand defines `latent data fetch`'s flags on fs and returns
// its body, runDataFetch.
func dataFetchCommand(fs *pflag.FlagSet) runFunc {
	dir := fs.String("dir", "", "folder to download into (default: $LATENT_DATA/NAME, else ~/.local/share/latent/NAME)")
	baseURL := fs.String("base-url", "", "address to download from (default: the set's canonical address)")
	return func(args []string, stdout, stderr io.Writer) error {
		return runDataFetch(fs, dir, baseURL, args, stdout, stderr)
	}
}

// runDataFetch implements `latent data fetch NAME [--dir DIR] [--base-url URL]`.
func runDataFetch(fs *pflag.FlagSet, dir, baseURL *string, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("fetch wants a data set name: %s", prior.Either(data.Fetchable()))
	}
	name := args[0]
	if err := parseArgs(fs, args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		d, err := data.DefaultDir(name)
		if err != nil {
			return err
		}
		*dir = d
	}
	if err := data.Fetch(context.Background(), name, *dir, data.FetchOptions{BaseURL: *baseURL}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fetched %s into %s (checksums verified)\n", name, *dir)
	return nil
}
