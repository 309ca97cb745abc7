package generate

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/latent-vae/latent/internal/atomicfile"
)

// Array is one named numpy array: its dtype (numpy's descr, such as "<f4"),
// its shape and its values, little-endian and C-ordered, as a .npy file
// holds them. Float32Array, Int32Array, Int64Array and StringArray make
// one from Go values.
type Array struct {
	Name  string // the array's name in an .npz file (the entry NAME.npy)
	Descr string // numpy's dtype descr
	Shape []int
	Data  []byte
}

// Float32Array returns values as a float32 array ("<f4") of shape dims.
func Float32Array(name string, values []float32, dims ...int) Array {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return Array{Name: name, Descr: "<f4", Shape: dims, Data: b}
}

// Int32Array returns values as an int32 array ("<i4") of shape dims.
func Int32Array(name string, values []int32, dims ...int) Array {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return Array{Name: name, Descr: "<i4", Shape: dims, Data: b}
}

// Int64Array returns values as an int64 array ("<i8", numpy's default
// integer) of shape dims.
func Int64Array(name string, values []int, dims ...int) Array {
	b := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(int64(v)))
	}
	return Array{Name: name, Descr: "<i8", Shape: dims, Data: b}
}

// StringArray returns values as a 1-D unicode array ("<Un", n the longest
// value's length in characters, at least 1), the dtype numpy.savez gives a
// list of str: numpy.load reads it without allow_pickle. Each value is n
// UTF-32 code points, padded with zeros.
func StringArray(name string, values []string) Array {
	n := 1
	for _, v := range values {
		n = max(n, utf8.RuneCountInString(v))
	}
	b := make([]byte, 4*n*len(values))
	for i, v := range values {
		at := 4 * n * i
		for _, r := range v {
			binary.LittleEndian.PutUint32(b[at:], uint32(r))
			at += 4
		}
	}
	return Array{Name: name, Descr: fmt.Sprintf("<U%d", n), Shape: []int{len(values)}, Data: b}
}

// check reports an array whose data is not its shape's number of items
// of its dtype's size.
func (a Array) check() error {
	items := 1
	for _, d := range a.Shape {
		items *= d
	}
	size, err := itemSize(a.Descr)
	if err != nil {
		return fmt.Errorf("array %s: %w", a.Name, err)
	}
	if len(a.Shape) == 0 || len(a.Data) != items*size {
		return fmt.Errorf("array %s: %d bytes are not the shape %v of %s", a.Name, len(a.Data), a.Shape, a.Descr)
	}
	return nil
}

// itemSize returns the bytes of one item of the numpy dtype descr: its
// byte order, kind and size, such as "<f4"; a unicode string's size
// ("<U7") counts 4-byte characters.
func itemSize(descr string) (int, error) {
	if len(descr) < 3 {
		return 0, fmt.Errorf("dtype %q: want a byte order, a kind and a size", descr)
	}
	n, err := strconv.Atoi(descr[2:])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("dtype %q: want a byte order, a kind and a size", descr)
	}
	if descr[1] == 'U' {
		n *= 4
	}
	return n, nil
}

// EncodeArray writes a as a .npy file (format 1.0) to out, which
// numpy.load reads.
func EncodeArray(out io.Writer, a Array) error {
	if err := a.check(); err != nil {
		return err
	}
	if _, err := out.Write(npyHeader(a.Descr, a.Shape...)); err != nil {
		return err
	}
	_, err := out.Write(a.Data)
	return err
}

// EncodeNPZ writes arrays to out as numpy.savez does: a zip archive,
// uncompressed, of one entry NAME.npy per array, in the order given, which
// numpy.load opens as a mapping from each name to its array. The entries
// carry no timestamp, so the same arrays always give the same bytes; out
// need not be seekable (stdout).
func EncodeNPZ(out io.Writer, arrays ...Array) error {
	seen := make(map[string]bool, len(arrays))
	zw := zip.NewWriter(out)
	for _, a := range arrays {
		if a.Name == "" || seen[a.Name] {
			return fmt.Errorf("npz: array name %q is empty or given twice", a.Name)
		}
		seen[a.Name] = true
		w, err := zw.CreateHeader(&zip.FileHeader{Name: a.Name + ".npy", Method: zip.Store})
		if err != nil {
			return fmt.Errorf("npz: %s: %w", a.Name, err)
		}
		if err := EncodeArray(w, a); err != nil {
			return fmt.Errorf("npz: %w", err)
		}
	}
	return zw.Close()
}

// WriteNPZ writes arrays as an .npz file (EncodeNPZ) to path, atomically.
func WriteNPZ(path string, arrays ...Array) error {
	return atomicfile.Write(path, func(w io.Writer) error { return EncodeNPZ(w, arrays...) })
}
