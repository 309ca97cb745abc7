package main

import (
	"context"
	"image"
	"image/png"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/atomicfile"
)

// The formats of output files, named by their extensions.
const (
	formatPNG = "png"
	formatGIF = "gif"
	formatSVG = "svg"
	formatPDF = "pdf"
)

// stdoutPath as an output file writes to stdout.
const stdoutPath = "-"

// outFormat returns the format of the output file path given by flag name:
// its extension, which must be one of formats; stdoutPath takes the first.
func outFormat(name, path string, formats ...string) (string, error) {
	if path == stdoutPath {
		return formats[0], nil
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if slices.Contains(formats, ext) {
		return ext, nil
	}
	if ext == "" {
		return "", usagef("%s %s: no extension; want %s", name, path, extList(formats))
	}
	return "", usagef("%s %s: unknown extension .%s; want %s", name, path, ext, extList(formats))
}

// checkOut checks the output file path given by flag name: required, a
// file that checkOutPath allows, one of formats by its extension (or
// stdoutPath). It returns the format.
func checkOut(name, path string, formats ...string) (string, error) {
	if path == "" {
		return "", usagef("%s: an output file is required", name)
	}
	if err := checkOutPath(name, path); err != nil {
		return "", err
	}
	return outFormat(name, path, formats...)
}

// checkSideOut checks an optional second output file given by flag name:
// none, or a file (not stdout) of one of formats.
func checkSideOut(name, path string, formats ...string) error {
	switch path {
	case "":
		return nil
	case stdoutPath:
		return usagef("%s -: only -o writes to stdout", name)
	}
	_, err := checkOut(name, path, formats...)
	return err
}

// extList lists formats as extensions: ".png, .svg or .pdf".
func extList(formats []string) string {
	exts := make([]string, len(formats))
	for i, f := range formats {
		exts[i] = "." + f
	}
	if len(exts) == 1 {
		return exts[0]
	}
	return strings.Join(exts[:len(exts)-1], ", ") + " or " + exts[len(exts)-1]
}

// writeOutput writes what write produces to path atomically, or to stdout
// when path is stdoutPath. Ctrl-C or SIGTERM during the write removes the
// temporary file, leaves path as it was and exits 130: an interrupted
// command leaves no litter. (Outside writes the signals keep their default:
// no temporary file exists then.)
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == stdoutPath {
		return write(stdout)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := atomicfile.WriteContext(ctx, path, write)
	if ctx.Err() != nil {
		return errExit(130)
	}
	return err
}

// writeGIF writes frames as a looping GIF at fps to path, or to stdout for
// stdoutPath.
func writeGIF(path string, stdout io.Writer, frames []image.Image, fps int) error {
	return writeOutput(path, stdout, func(w io.Writer) error {
		return generate.EncodeGIF(w, frames, generate.Delay(fps), 0)
	})
}

// writePNG writes img as PNG to path, or to stdout for stdoutPath.
func writePNG(path string, stdout io.Writer, img image.Image) error {
	return writeOutput(path, stdout, func(w io.Writer) error { return png.Encode(w, img) })
}

// writeBytes writes b to path, or to stdout for stdoutPath.
func writeBytes(path string, stdout io.Writer, b []byte) error {
	return writeOutput(path, stdout, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// summaryTo is where a command says what it wrote to path: stdout, unless
// the output itself goes there.
func summaryTo(path string, stdout, stderr io.Writer) io.Writer {
	if path == stdoutPath {
		return stderr
	}
	return stdout
}

// outName names an output file in a summary.
func outName(path string) string {
	if path == stdoutPath {
		return "stdout"
	}
	return path
}
