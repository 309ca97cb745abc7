package generate

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestEncodeNPY: the magic and version, a header padded to 64 bytes naming
// uint8 and the shape, then the pixels as they are; a short buffer is
// refused.
func TestEncodeNPY(t *testing.T) {
	pixels := []uint8{1, 2, 3, 4, 5, 6}
	var b bytes.Buffer
	if err := EncodeNPY(&b, pixels, 3, 1, 2, 1); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if !bytes.HasPrefix(out, []byte("\x93NUMPY\x01\x00")) {
		t.Fatalf("npy starts %q, want the magic and version 1.0", out[:min(8, len(out))])
	}
	hl := int(binary.LittleEndian.Uint16(out[8:10]))
	header := string(out[10 : 10+hl])
	if (10+hl)%64 != 0 || !strings.HasSuffix(header, "\n") ||
		!strings.HasPrefix(header, "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 1, 2, 1,), }") {
		t.Errorf("header %q (data at %d): want uint8 [3, 1, 2, 1], the data at a multiple of 64", header, 10+hl)
	}
	if !bytes.Equal(out[10+hl:], pixels) {
		t.Errorf("data %v, want %v", out[10+hl:], pixels)
	}
	if err := EncodeNPY(&b, pixels, 4, 1, 2, 1); err == nil {
		t.Error("6 bytes as 4 images of 2: no error")
	}
}
