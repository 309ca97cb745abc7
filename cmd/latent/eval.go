package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/vae"
)

// evalCmd defines `latent eval`'s flags on fs and returns its body, runEval.
func evalCmd(fs *pflag.FlagSet) cli.RunFunc {
	f := evalFlags(fs, true)
	k := fs.Int("iw", vae.EvalFastK, "importance samples per image for the IW bound on the NLL (0: skip it); the default takes seconds, "+
		"the published numbers use 1000 or more (their time is estimated and printed first)")
	binarize := fs.Bool("binarize", false, "evaluate on dynamically binarized test images (each pixel 1 with its value as probability, seeded by --seed), the IWAE paper's protocol")
	asJSON := fs.Bool("json", false, "print the result as JSON instead of a table")
	chunk := fs.Int("chunk", eval.DefaultChunk, "importance samples per image drawn in one graph call")
	return func(_ []string, stdout, stderr io.Writer) error {
		o := vae.EvalOptions{Batch: *f.batch, Chunk: *chunk, K: *k, Seed: *f.seed, Binarize: *binarize,
			Hint: !*asJSON, Command: evalCommand(f, *binarize), Limit: *f.limit}
		return runEval(f, o, *asJSON, stdout, stderr)
	}
}

// runEval implements `latent eval`: the negative ELBO, its terms, the active
// units and the importance-weighted NLL of a run on a test split.
func runEval(f evalCommon, o vae.EvalOptions, asJSON bool, stdout, stderr io.Writer) error {
	if err := f.check(); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return err
	}
	s, set, test, err := f.open(stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	out, hint, err := s.Evaluate(set.Name, test, o)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, out)
	}
	var rows [][2]string
	if hint != "" {
		rows = append(rows, [2]string{"tighter", hint})
	}
	return out.WriteText(stdout, rows...)
}

// evalCommand is the eval command the flags f ran, without --limit and
// --iw: latent eval --run DIR, with --data, --data-dir and --binarize when given.
func evalCommand(f evalCommon, binarize bool) string {
	c := "latent eval --run " + *f.run
	if *f.data.spec != "" {
		c += " --data " + *f.data.spec
	}
	if *f.data.dir != "" {
		c += " --data-dir " + *f.data.dir
	}
	if binarize {
		c += " --binarize"
	}
	return c
}
