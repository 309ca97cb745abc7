package data

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

func TestReadIDX(t *testing.T) {
	tests := []struct {
		name string
		dims []int
	}{
		{"rank 1", []int{5}},
		{"rank 2", []int{2, 3}},
		{"rank 3", []int{4, 3, 2}},
		{"rank 4", []int{2, 2, 3, 2}},
		{"empty", []int{0, 28, 28}},
	}
	for _, tt := range tests {
		n := 1
		for _, d := range tt.dims {
			n *= d
		}
		raw := idxBytes(IDXUint8, tt.dims, seq(n, 7))
		for _, gz := range []bool{false, true} {
			b := raw
			if gz {
				b = gzipBytes(t, raw)
			}
			idx, err := ReadIDX(bytes.NewReader(b), "f.idx")
			if err != nil {
				t.Fatalf("%s (gzip %v): %v", tt.name, gz, err)
			}
			if idx.Type != IDXUint8 || !slices.Equal(idx.Dims, tt.dims) || !bytes.Equal(idx.Data, seq(n, 7)) {
				t.Errorf("%s (gzip %v): got type %#x dims %v data %v", tt.name, gz, idx.Type, idx.Dims, idx.Data)
			}
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes(IDXUint8, []int{2, 3, 3}, seq(18, 0))
	gz := gzipBytes(t, good)
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"empty file", nil, "truncated header"},
		{"truncated magic", []byte{0, 0}, "truncated header"},
		{"truncated dimensions", good[:9], "truncated header"},
		{"truncated data", good[:len(good)-1], "truncated: the file holds only 17"},
		{"wrong magic", append([]byte{0x12, 0x34}, good[2:]...), "wrong magic 0x1234"},
		{"wrong element type", idxBytes(0x0D, []int{2}, make([]byte, 8)), "unsupported element type 0x0D"},
		{"rank 0", idxBytes(IDXUint8, nil, nil), "unsupported rank 0"},
		{"rank 5", idxBytes(IDXUint8, []int{1, 1, 1, 1, 1}, []byte{1}), "unsupported rank 5"},
		{"dimensions claim more than the data", idxBytes(IDXUint8, []int{1000, 28, 28}, seq(50, 0)), "need 784000 bytes"},
		{"dimensions claim less than the data", append(slices.Clone(good), 1, 2), "more data than the dimensions describe"},
		{"dimensions over the limit", idxBytes(IDXUint8, []int{1 << 20, 1 << 12}, nil), "more than 2147483648 elements"},
		{"huge dimensions", idxBytes(IDXUint8, []int{0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, nil), "more than 2147483648 elements"},
		{"truncated gzip", gz[:len(gz)-10], "unexpected EOF"},
		{"bad gzip checksum", append(slices.Clone(gz[:len(gz)-8]), 0, 0, 0, 0, 0, 0, 0, 0), "checksum"},
		{"bad gzip header", []byte{0x1f, 0x8b, 0, 0}, "bad gzip header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tt.input), "some/file.idx")
			wantErr(t, err, "some/file.idx", tt.want)
		})
	}
}

func TestIDXImages(t *testing.T) {
	// Two 2x3 images stored transposed (as EMNIST does): each 3x2 in the file.
	idx := &IDX{Type: IDXUint8, Dims: []int{2, 3, 2}, Data: []byte{0, 3, 1, 4, 2, 5, 255, 0, 0, 0, 0, 0}}
	s := idxImages(idx, true)
	if s.N != 2 || s.Height != 2 || s.Width != 3 || s.Channels != 1 {
		t.Fatalf("got %d images of %dx%dx%d, want 2 of 2x3x1", s.N, s.Height, s.Width, s.Channels)
	}
	for i, want := range []float32{0, 1, 2, 3, 4, 5} {
		if got := s.Image(0)[i] * 255; got < want-1e-3 || got > want+1e-3 {
			t.Errorf("transposed pixel %d = %v/255, want %v/255", i, got, want)
		}
	}
	if got := s.Image(1)[0]; got != 1 {
		t.Errorf("second image's first pixel = %v, want 1", got)
	}
	plain := idxImages(idx, false)
	if plain.Height != 3 || plain.Width != 2 || plain.Image(0)[1] != 3.0/255 {
		t.Errorf("untransposed: %dx%d, pixel 1 = %v; want 3x2, 3/255", plain.Height, plain.Width, plain.Image(0)[1])
	}
}

func FuzzReadIDX(f *testing.F) {
	good := idxBytes(IDXUint8, []int{2, 3, 3}, seq(18, 0))
	f.Add(good)
	f.Add(gzipBytes(f, good))
	f.Add(idxBytes(IDXUint8, []int{4}, seq(4, 0)))
	f.Add(idxBytes(IDXUint8, []int{1, 1, 1, 1}, seq(1, 0)))
	f.Add(idxBytes(0x0D, []int{2}, seq(8, 0)))
	f.Add(idxBytes(IDXUint8, []int{0xFFFF, 0xFFFF}, seq(10, 0)))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := ReadIDX(bytes.NewReader(b), "fuzz")
		// Knowing the size refuses early what ReadIDX refuses, and more
		// only for a gzipped file.
		s, sizedErr := newIDXStream(bytes.NewReader(b), "fuzz", int64(len(b)))
		if sizedErr == nil {
			_, sizedErr = s.readData()
		}
		gzipped := len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
		if (err != nil && sizedErr == nil) || (err == nil && sizedErr != nil && !gzipped) {
			t.Fatalf("without the size: %v; with it: %v", err, sizedErr)
		}
		if err != nil {
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if len(idx.Data) != n || len(idx.Dims) < 1 || len(idx.Dims) > 4 {
			t.Fatalf("dims %v but %d bytes of data", idx.Dims, len(idx.Data))
		}
	})
}

func TestOpenIDXChecksSize(t *testing.T) {
	good := idxBytes(IDXUint8, []int{2, 3, 3}, seq(18, 0))
	// 1 MB of zeros gzips to about 1 kB, which bounds the data to about 1 MB.
	zeros := gzipBytes(t, idxBytes(IDXUint8, []int{1 << 20}, make([]byte, 1<<20)))
	overclaim := gzipBytes(t, idxBytes(IDXUint8, []int{1 << 30}, make([]byte, 1<<20)))
	tests := []struct {
		name  string
		input []byte
		want  []string // error substrings; none for success
	}{
		{"raw, exact", good, nil},
		{"gzipped", gzipBytes(t, good), nil},
		{"gzipped zeros within the ratio", zeros, nil},
		{"raw, short", good[:len(good)-3], []string{"truncated", "need 18 bytes", "holds 15 after its header"}},
		{"raw, long", append(slices.Clone(good), 0), []string{"need 18 bytes", "holds 19 after its header"}},
		{"raw, overclaiming", idxBytes(IDXUint8, []int{2000000, 28, 28}, seq(100, 0)), []string{"need 1568000000 bytes", "holds 100 after"}},
		{"gzipped, overclaiming", overclaim, []string{"claim 1073741824 bytes", fmt.Sprintf("a %d-byte gzip file", len(overclaim)), "1032:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "f.idx", tt.input)
			s, f, err := openIDX(path)
			if tt.want != nil {
				wantErr(t, err, append(tt.want, path)...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			idx, err := s.readData()
			if err != nil || int64(len(idx.Data)) != s.dataSize() {
				t.Errorf("read %d bytes (%v), want %d", len(idx.Data), err, s.dataSize())
			}
		})
	}
}
