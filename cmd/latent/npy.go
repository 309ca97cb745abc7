package main

import (
	"io"

	"github.com/latent-vae/latent/generate"
)

// formatNPY is numpy's array file, written by `latent sample`.
const formatNPY = "npy"

// writeNPY writes pixels, n images of h×w×c bytes, to path as a numpy
// array [n, h, w, c] of uint8 (generate.EncodeNPY), atomically, or to
// stdout for stdoutPath.
func writeNPY(path string, stdout io.Writer, pixels []uint8, n, h, w, c int) error {
	return writeOutput(path, stdout, func(out io.Writer) error { return generate.EncodeNPY(out, pixels, n, h, w, c) })
}
