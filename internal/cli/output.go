package cli

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/atomicfile"
)

// The formats of output files, named by their extensions.
const (
	FormatPNG = "png"
	FormatGIF = "gif"
	FormatSVG = "svg"
	FormatPDF = "pdf"
	FormatCSV = "csv"
)

// Stdout as an output file's path writes to stdout.
const Stdout = "-"

// OutFlag defines -o, the output file, defaulting to def; what says what
// is written there, and formats the extensions it takes (see OutFormat).
func OutFlag(fs *pflag.FlagSet, def, what string, formats ...string) *string {
	return fs.StringP("o", "o", def, fmt.Sprintf("output file: %s (%s; - writes it to stdout)", what, extList(formats)))
}

// OutFormat returns the format of the output file path given by flag name:
// its extension, which must be one of formats; Stdout takes the first.
func OutFormat(name, path string, formats ...string) (string, error) {
	if path == Stdout {
		return formats[0], nil
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if slices.Contains(formats, ext) {
		return ext, nil
	}
	if ext == "" {
		return "", Usagef("%s %s: no extension; want %s", name, path, extList(formats))
	}
	return "", Usagef("%s %s: unknown extension .%s; want %s", name, path, ext, extList(formats))
}

// CheckOutPath checks, before any work, that the folder of an output file
// given by flag name exists, that path is not a folder, and that protect
// (when not nil) does not refuse it, naming why. "" (none) and Stdout pass.
func CheckOutPath(name, path string, protect func(path string) string) error {
	if path == "" || path == Stdout {
		return nil
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return Usagef("%s %s: the folder %s does not exist", name, path, dir)
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return Usagef("%s %s: is a folder, want a file name", name, path)
	}
	if protect != nil {
		if why := protect(path); why != "" {
			return Usagef("%s %s: %s", name, path, why)
		}
	}
	return nil
}

// CheckOut checks the output file path given by flag name: required, a
// file that CheckOutPath allows, one of formats by its extension (or
// Stdout). It returns the format.
func CheckOut(name, path string, protect func(path string) string, formats ...string) (string, error) {
	if path == "" {
		return "", Usagef("%s: an output file is required", name)
	}
	if err := CheckOutPath(name, path, protect); err != nil {
		return "", err
	}
	return OutFormat(name, path, formats...)
}

// CheckSideOut checks an optional second output file given by flag name:
// none, or a file (not stdout) that CheckOut allows.
func CheckSideOut(name, path string, protect func(path string) string, formats ...string) error {
	switch path {
	case "":
		return nil
	case Stdout:
		return Usagef("%s -: only -o writes to stdout", name)
	}
	_, err := CheckOut(name, path, protect, formats...)
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

// WriteOutput writes what write produces to path atomically, or to stdout
// when path is Stdout. Ctrl-C or SIGTERM during the write removes the
// temporary file, leaves path as it was and returns Exit(130): an
// interrupted command leaves no litter. (Outside writes the signals keep
// their default: no temporary file exists then.)
func WriteOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == Stdout {
		return write(stdout)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := atomicfile.WriteContext(ctx, path, write)
	if ctx.Err() != nil {
		return Exit(130)
	}
	return err
}

// WritePNG writes img as PNG to path, or to stdout for Stdout.
func WritePNG(path string, stdout io.Writer, img image.Image) error {
	return WriteOutput(path, stdout, func(w io.Writer) error { return png.Encode(w, img) })
}

// WriteBytes writes b to path, or to stdout for Stdout.
func WriteBytes(path string, stdout io.Writer, b []byte) error {
	return WriteOutput(path, stdout, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// SummaryTo is where a command says what it wrote to path: stdout, unless
// the output itself goes there.
func SummaryTo(path string, stdout, stderr io.Writer) io.Writer {
	if path == Stdout {
		return stderr
	}
	return stdout
}

// OutName names an output file in a summary.
func OutName(path string) string {
	if path == Stdout {
		return "stdout"
	}
	return path
}

// Wrote says that a command wrote path, "wrote PATH: " and what (as
// fmt.Sprintf formats it) on a line of its own, where SummaryTo says.
func Wrote(path string, stdout, stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(SummaryTo(path, stdout, stderr), "wrote %s: %s\n", OutName(path), fmt.Sprintf(format, args...))
}
