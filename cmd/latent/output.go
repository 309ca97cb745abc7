package main

import (
	"image"
	"io"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/cli"
)

// The output formats of latent's own, beside cli's.

// formatNPY is numpy's array file, written by `latent sample`.
const formatNPY = "npy"

// formatNPZ is numpy's archive of named arrays (numpy.savez), written by
// `latent encode`.
const formatNPZ = "npz"

// writeNPY writes pixels, n images of h×w×c bytes, to path as a numpy
// array [n, h, w, c] of uint8 (generate.EncodeNPY), atomically, or to
// stdout for cli.Stdout.
func writeNPY(path string, stdout io.Writer, pixels []uint8, n, h, w, c int) error {
	return cli.WriteOutput(path, stdout, func(out io.Writer) error { return generate.EncodeNPY(out, pixels, n, h, w, c) })
}

// writeGIF writes frames as a looping GIF at fps to path, or to stdout for
// cli.Stdout.
func writeGIF(path string, stdout io.Writer, frames []image.Image, fps int) error {
	return cli.WriteOutput(path, stdout, func(w io.Writer) error {
		return generate.EncodeGIF(w, frames, generate.Delay(fps), 0)
	})
}
