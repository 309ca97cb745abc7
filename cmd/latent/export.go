package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/latent-vae/latent/export"
)

// runExport implements `latent export`: the weights of a run's latest
// checkpoint as a safetensors file, for use outside latent.
func runExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "--run DIR [-o model.safetensors]", stderr)
	run := fs.String("run", "", "run folder (config.json and checkpoints) written by latent train")
	out := fs.String("o", "model.safetensors", "output file (safetensors format)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case *run == "":
		return errors.New("--run: a run folder is required")
	case *out == "":
		return errors.New("-o: an output file is required")
	}
	if err := checkOutPath("-o", *out); err != nil {
		return err
	}
	sum, err := export.Run(*run, *out)
	if err != nil {
		return fmt.Errorf("--run: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d tensors, %d parameters, step %d, %d bytes\n",
		*out, sum.Tensors, sum.Params, sum.Step, sum.Bytes)
	return nil
}
