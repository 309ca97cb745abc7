package generate

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// EncodeNPY writes pixels, n images of h×w×c bytes, to out as a numpy
// array [n, h, w, c] of uint8 (format 1.0), which numpy.load reads.
func EncodeNPY(out io.Writer, pixels []uint8, n, h, w, c int) error {
	if len(pixels) != n*h*w*c {
		return fmt.Errorf("npy: %d bytes for %d images of %dx%dx%d", len(pixels), n, h, w, c)
	}
	if _, err := out.Write(npyHeader("|u1", n, h, w, c)); err != nil {
		return err
	}
	_, err := out.Write(pixels)
	return err
}

// npyHeader returns the magic, version 1.0 and the header of a C-ordered
// array of dtype descr and shape dims, padded with spaces so the data
// starts at a multiple of 64 bytes.
func npyHeader(descr string, dims ...int) []byte {
	shape := make([]string, len(dims))
	for i, d := range dims {
		shape[i] = fmt.Sprint(d)
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s,), }", descr, strings.Join(shape, ", "))
	const prefix = 10 // magic (6), version (2), header length (2)
	pad := 63 - (prefix+len(dict))%64
	dict += strings.Repeat(" ", pad) + "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(out[8:], uint16(len(dict)))
	return append(out, dict...)
}
