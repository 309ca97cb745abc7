package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/rundir"
)

// runData implements `latent data`: a summary of a data set and optionally a
// grid of its first training images; `latent data fetch` downloads a set.
func runData(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "fetch" {
		return runDataFetch(args[1:], stdout, stderr)
	}
	fs, d, out := dataFlagSet(stderr)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *out != "" {
		if _, err := checkOut("-o", *out, formatPNG); err != nil {
			return err
		}
	}
	set, err := d.Load()
	if err != nil {
		return err
	}
	summary := summaryTo(*out, stdout, stderr)
	printDataSummary(summary, set)
	if *out == "" {
		return nil
	}
	n := min(64, set.Train.N)
	s := set.Train
	img := generate.Grid(s.Subset(n).Images(), n, s.Height, s.Width, s.Channels, 8, 3)
	if err := writePNG(*out, stdout, img); err != nil {
		return err
	}
	fmt.Fprintf(summary, "wrote %s (the first %d training images)\n", outName(*out), n)
	return nil
}

// dataFlagSet is the flag set of `latent data`: the data flags that
// `latent train` shares, and -o.
func dataFlagSet(stderr io.Writer) (*flag.FlagSet, *rundir.DataConfig, *string) {
	fs := newFlagSet("data", "[--data SET|FOLDER] [--data-dir DIR] [--image-size N] [--channels C] [--test-fraction F] [--split-seed S] [--skip-bad] [-o first64.png]\n       latent data fetch NAME [--dir DIR] [--base-url URL]", stderr)
	d := rundir.DefaultDataConfig()
	bindDataFlags(fs, &d)
	out := outFlag(fs, "", "a grid of the first 64 training images (default: none)", formatPNG)
	return fs, &d, out
}

// printDataSummary writes the sizes, shape, label counts and pixel statistics of
// a set.
func printDataSummary(w io.Writer, set *data.Set) {
	tr, te := set.Train, set.Test
	fmt.Fprintf(w, "data set:   %s (%s)\n", set.Name, set.Dir)
	fmt.Fprintf(w, "train:      %d images\n", tr.N)
	fmt.Fprintf(w, "test:       %d images\n", te.N)
	fmt.Fprintf(w, "shape:      %dx%dx%d (HxWxC)\n", tr.Height, tr.Width, tr.Channels)
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

// runDataFetch implements `latent data fetch NAME [--dir DIR] [--base-url URL]`.
func runDataFetch(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data fetch", "NAME [--dir DIR] [--base-url URL]   (NAME: mnist, fashion-mnist or kmnist)", stderr)
	dir := fs.String("dir", "", "folder to download into (default: $LATENT_DATA/NAME, else ~/.local/share/latent/NAME)")
	baseURL := fs.String("base-url", "", "address to download from (default: the set's canonical address)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("fetch wants a data set name: mnist, fashion-mnist or kmnist")
	}
	name := fs.Arg(0)
	if err := parseArgs(fs, fs.Args()[1:]); err != nil { // flags may follow NAME
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
