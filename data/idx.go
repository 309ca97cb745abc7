package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// IDX element type codes.
const (
	// IDXUint8 is the IDX element type of unsigned bytes, the only one the
	// MNIST family of data sets uses.
	IDXUint8 = 0x08
)

// maxIDXElements bounds the number of elements an IDX header may claim.
const maxIDXElements = 1 << 31

// maxGzipRatio bounds how many bytes one byte of a gzip file may expand to:
// deflate's largest ratio is about 1032:1.
const maxGzipRatio = 1032

// IDX is one parsed IDX file: its element type, its dimensions (outermost
// first) and its elements in row-major order.
type IDX struct {
	Type byte
	Dims []int
	Data []byte
}

// ReadIDX parses one IDX file from r. The file may be gzipped or raw; gzip is
// detected by its magic bytes 0x1f 0x8b. Only unsigned-byte elements (type
// 0x08) of rank 1 to 4 are supported. The dimensions must describe exactly
// the data present: a header that claims more or less data than the file
// holds is an error, detected before the claimed size is allocated. name
// identifies the file in errors.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	s, err := newIDXStream(r, name, -1)
	if err != nil {
		return nil, err
	}
	return s.readData()
}

// idxStream is an IDX file whose header has been read and checked: its
// type and dimensions, and a reader positioned at its data.
type idxStream struct {
	name string
	idx  *IDX // Type and Dims; Data is read by readData
	src  io.Reader
}

// newIDXStream reads the header of the IDX file r, gzipped or raw. size is
// the length of r in bytes, or -1 if unknown. When it is known, the data the
// header claims is checked against it before any is read: a raw file must
// hold exactly that much after its header, and a gzipped one at most
// maxGzipRatio times its own size.
func newIDXStream(r io.Reader, name string, size int64) (*idxStream, error) {
	br := bufio.NewReader(r)
	s := &idxStream{name: name, src: br}
	gzipped := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading %s: bad gzip header: %w", name, err)
		}
		s.src, gzipped = zr, true
	}
	var err error
	if s.idx, err = readIDXHeader(s.src, name); err != nil {
		return nil, err
	}
	if size >= 0 {
		if err := s.checkSize(size, gzipped); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// dataSize returns the number of bytes of data the header claims.
func (s *idxStream) dataSize() int64 {
	n := int64(1)
	for _, d := range s.idx.Dims {
		n *= int64(d)
	}
	return n
}

// checkSize checks the data the header claims against the file's size.
func (s *idxStream) checkSize(size int64, gzipped bool) error {
	header := int64(4 + 4*len(s.idx.Dims))
	want := s.dataSize()
	if gzipped {
		if limit := size * maxGzipRatio; header+want > limit {
			return fmt.Errorf("reading %s: dimensions %v claim %d bytes of data, more than a %d-byte gzip file can hold (%d at a ratio of %d:1)",
				s.name, s.idx.Dims, want, size, limit, maxGzipRatio)
		}
		return nil
	}
	switch have := size - header; {
	case want > have:
		return fmt.Errorf("reading %s: truncated: dimensions %v need %d bytes of data but the file holds %d after its header",
			s.name, s.idx.Dims, want, have)
	case want < have:
		return fmt.Errorf("reading %s: dimensions %v need %d bytes of data but the file holds %d after its header: more data than the dimensions describe",
			s.name, s.idx.Dims, want, have)
	}
	return nil
}

// readData reads the data the header describes and checks that the file
// ends there.
func (s *idxStream) readData() (*IDX, error) {
	var err error
	idx := s.idx
	if idx.Data, err = readN(s.src, s.dataSize()); err != nil {
		return nil, fmt.Errorf("reading %s: dimensions %v need %d bytes of data: %w", s.name, idx.Dims, s.dataSize(), err)
	}
	if err := expectEOF(s.src); err != nil {
		return nil, fmt.Errorf("reading %s: dimensions %v: %w", s.name, idx.Dims, err)
	}
	return idx, nil
}

// readIDXHeader reads the magic number and dimensions of an IDX file.
func readIDXHeader(r io.Reader, name string) (*IDX, error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("reading %s: truncated header: got %d of 4 magic bytes: %w", name, n, err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("reading %s: wrong magic 0x%02X%02X%02X%02X: not an IDX file (want 0x0000 then type and rank)",
			name, magic[0], magic[1], magic[2], magic[3])
	}
	if magic[2] != IDXUint8 {
		return nil, fmt.Errorf("reading %s: unsupported element type 0x%02X (only 0x08, unsigned byte, is supported)", name, magic[2])
	}
	rank := int(magic[3])
	if rank < 1 || rank > 4 {
		return nil, fmt.Errorf("reading %s: unsupported rank %d (want 1 to 4)", name, rank)
	}
	raw := make([]byte, 4*rank)
	if n, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("reading %s: truncated header: got %d of %d dimension bytes: %w", name, n, len(raw), err)
	}
	idx := &IDX{Type: magic[2], Dims: make([]int, rank)}
	total := uint64(1)
	for i := range idx.Dims {
		d := binary.BigEndian.Uint32(raw[4*i:])
		idx.Dims[i] = int(d)
		total *= uint64(d) // below 2^63: total was at most 2^31 before
		if total > maxIDXElements {
			return nil, fmt.Errorf("reading %s: dimensions claim more than %d elements", name, maxIDXElements)
		}
	}
	return idx, nil
}

// readN reads exactly n bytes from r, growing its buffer only as data
// arrives, so a header claiming more data than exists allocates no more
// than about twice what the file really holds.
func readN(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, 1<<16))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(len(buf)), n-int64(len(buf)))))
		}
		m, err := r.Read(buf[len(buf):int(min(int64(cap(buf)), n))])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			if int64(len(buf)) < n {
				return nil, fmt.Errorf("truncated: the file holds only %d", len(buf))
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("after %d bytes: %w", len(buf), err)
		}
	}
	return buf, nil
}

// expectEOF reports an error if r holds more data, or fails at its end (a
// gzip stream checks its checksum there).
func expectEOF(r io.Reader) error {
	var b [512]byte
	extra := 0
	for {
		n, err := r.Read(b[:])
		extra += n
		if extra > 0 {
			return errors.New("the file holds more data than the dimensions describe")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("at end of data: %w", err)
		}
	}
}

// openIDX opens the IDX file at path and reads its header, checked against
// the file's size. The caller closes the returned file.
func openIDX(path string) (*idxStream, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	s, err := newIDXStream(f, path, info.Size())
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return s, f, nil
}

// checkIDXPair checks the headers of an image file and its label file
// against each other before either's data is read: images of rank 3 (N,
// height, width), none of them empty, and labels of rank 1, one per image.
func checkIDXPair(images, labels *idxStream) error {
	dims := images.idx.Dims
	if len(dims) != 3 {
		return fmt.Errorf("reading %s: an image file must have rank 3 (N, height, width), got rank %d %v", images.name, len(dims), dims)
	}
	if dims[0] == 0 || dims[1] == 0 || dims[2] == 0 {
		return fmt.Errorf("reading %s: no images (dimensions %v)", images.name, dims)
	}
	if l := labels.idx.Dims; len(l) != 1 {
		return fmt.Errorf("reading %s: a label file must have rank 1, got rank %d %v", labels.name, len(l), l)
	}
	if n := labels.idx.Dims[0]; n != dims[0] {
		return fmt.Errorf("reading %s: %d labels but %d images in %s", labels.name, n, dims[0], images.name)
	}
	return nil
}

// idxImages makes a split of a rank-3 (N, height, width) IDX file, checked
// by checkIDXPair, keeping its bytes. With transpose each image is
// transposed, as EMNIST stores them.
func idxImages(idx *IDX, transpose bool) *Split {
	n, h, w := idx.Dims[0], idx.Dims[1], idx.Dims[2]
	if !transpose {
		return &Split{Pixels: idx.Data, N: n, Height: h, Width: w, Channels: 1}
	}
	h, w = w, h
	s := &Split{Pixels: make([]uint8, len(idx.Data)), N: n, Height: h, Width: w, Channels: 1}
	size := h * w
	for k := range n {
		src, dst := idx.Data[k*size:(k+1)*size], s.Pixels[k*size:(k+1)*size]
		for y := range h {
			for x := range w {
				dst[y*w+x] = src[x*h+y]
			}
		}
	}
	return s
}

// idxLabels converts a rank-1 IDX file to labels, checking each is below
// numClasses (when it is positive).
func idxLabels(idx *IDX, name string, numClasses int) ([]int, error) {
	labels := make([]int, len(idx.Data))
	for i, b := range idx.Data {
		if numClasses > 0 && int(b) >= numClasses {
			return nil, fmt.Errorf("reading %s: label %d of item %d is out of range (the set has %d classes)", name, b, i, numClasses)
		}
		labels[i] = int(b)
	}
	return labels, nil
}

// byteToUnit returns the table mapping a byte to a float32 in [0,1].
func byteToUnit() *[256]float32 {
	var t [256]float32
	for i := range t {
		t[i] = float32(i) / 255
	}
	return &t
}
