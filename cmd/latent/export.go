package main

import (
	"fmt"
	"io"

	"github.com/latent-vae/latent/export"
	"github.com/latent-vae/latent/vae"
)

// runExport implements `latent export`: the weights of a run's latest
// checkpoint as a safetensors file, for use outside latent.
func runExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "--run DIR [-o model.safetensors]", stderr)
	run := runFlag(fs)
	out := fs.String("o", "model.safetensors", "output file: the weights (.safetensors)")
	if _, err := parseRunOut(fs, args, run, out, "safetensors"); err != nil {
		return err
	}
	if *out == stdoutPath {
		return usagef("-o -: export writes a file, not stdout")
	}
	if err := vae.CheckRunFolder(*run); err != nil {
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
