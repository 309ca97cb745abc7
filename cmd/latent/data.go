package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// dataCommand defines `latent data`'s flags on fs and returns its body, runData.
func dataCommand(fs *pflag.FlagSet) cli.RunFunc {
	d, o := dataFlags(fs)
	return func(_ []string, stdout, stderr io.Writer) error { return runData(d, o, stdout, stderr) }
}

// runData implements `latent data`: a summary of a data set, optionally a
// list of a split's images (index, label, file) and a grid of images
// sampled across its classes; `latent data fetch` downloads a set.
func runData(d *rundir.DataConfig, o *dataOptions, stdout, stderr io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	set, err := d.Load()
	if err != nil {
		return err
	}
	sp, spName := vae.SplitOf(set, o.split)
	summary := cli.SummaryTo(*o.out, stdout, stderr)
	if o.list {
		summary = stderr // stdout holds the list
	}
	set.WriteSummary(summary)
	if o.list {
		if err := set.WriteList(stdout, sp); err != nil {
			return err
		}
	}
	if *o.out == "" {
		return nil
	}
	img, n := vae.Preview(set, sp, o.numbers)
	if err := cli.WritePNG(*o.out, stdout, img); err != nil {
		return err
	}
	numbers := ""
	if o.numbers {
		numbers = ", each captioned index:label"
	}
	fmt.Fprintf(summary, "wrote %s: %d %s images, the first of each class in turn%s\n", cli.OutName(*o.out), n, spName, numbers)
	return nil
}

// dataOptions are the flags of `latent data` beside the data flags.
type dataOptions struct {
	out           *string
	split         string
	list, numbers bool
}

// check validates the options.
func (o *dataOptions) check() error {
	if err := vae.CheckSplit(o.split); err != nil {
		return err
	}
	switch {
	case o.numbers && *o.out == "":
		return cli.Usagef("--numbers captions the grid of -o: give -o grid.png")
	case o.list && *o.out == cli.Stdout:
		return cli.Usagef("--list and -o -: both write to stdout; give -o a file name")
	case *o.out == "":
		return nil
	}
	_, err := cli.CheckOut("-o", *o.out, ownFile, cli.FormatPNG)
	return err
}

// dataFlags defines the flags of `latent data` on fs: the data flags that
// `latent train` shares, -o, --split, --list and --numbers.
func dataFlags(fs *pflag.FlagSet) (*rundir.DataConfig, *dataOptions) {
	d := rundir.DefaultDataConfig()
	bindDataFlags(fs, &d)
	o := &dataOptions{}
	o.out = cli.OutFlag(fs, "", "a grid of up to 64 images of --split, the first of each class in turn (default: none)", cli.FormatPNG)
	fs.StringVar(&o.split, "split", "train", "split that --list and -o show: train or test")
	fs.BoolVar(&o.list, "list", false, "print every image of --split on stdout: its index (what --index and /api/test/N take), label, class and, for folders, file")
	fs.BoolVar(&o.numbers, "numbers", false, "caption each image of -o's grid with its index and label")
	return &d, o
}

// dataFetchCommand defines `latent data fetch`'s flags on fs and returns
// its body: `latent data fetch NAME [--dir DIR] [--base-url URL]`
// downloads a data set, checksums verified, into --dir, else its default
// folder (data.DefaultDir).
func dataFetchCommand(fs *pflag.FlagSet) cli.RunFunc {
	dir := fs.String("dir", "", "folder to download into (default: $LATENT_DATA/NAME, else ~/.local/share/latent/NAME)")
	baseURL := fs.String("base-url", "", "address to download from (default: the set's canonical address)")
	return func(args []string, stdout, _ io.Writer) error {
		if len(args) == 0 {
			return cli.Usagef("fetch wants a data set name: %s", suggest.Either(data.Fetchable()))
		}
		name := args[0]
		if err := cli.NoOperands(args[1:]); err != nil {
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
}
