package checkpoints

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// craft builds a checkpoint file from a raw JSON header and tensor data, with
// a valid preamble and SHA-256 trailer, so that only the header's claims can
// be wrong.
func craft(header string, data []byte) []byte {
	body := []byte(magic)
	body = binary.LittleEndian.AppendUint32(body, version)
	body = binary.LittleEndian.AppendUint64(body, uint64(len(header)))
	body = append(append(body, header...), data...)
	return seal(body)
}

// seal appends the SHA-256 trailer of body.
func seal(body []byte) []byte {
	sum := sha256.Sum256(body)
	return append(body, sum[:]...)
}

// oneVar is the header of a checkpoint holding one variable.
func oneVar(dtype, dims string, length int) string {
	return fmt.Sprintf(`{"step":1,"config":{},"vars":[{"scope":"/","name":"w","dtype":%q,"dims":%s,"length":%d,"trainable":true}]}`,
		dtype, dims, length)
}

// TestLoadCraftedHeaders loads files whose checksum is valid but whose header
// lies: each must be an error naming the file and the problem, not a panic
// or an allocation beyond the file's size.
func TestLoadCraftedHeaders(t *testing.T) {
	data16 := make([]byte, 16)
	manyVars := `{"step":1,"vars":[` + strings.Repeat(`{"dtype":"Float32","dims":[0]},`, maxVars) + `{}]}`
	tests := []struct {
		name, header string
		data         []byte
		want         string
	}{
		{"valid", oneVar("Float32", "[2,2]", 16), data16, ""},
		{"negative dimension", oneVar("Float32", "[-4,-1]", 16), data16, "negative dimension"},
		{"overflowing dims", oneVar("Float32", "[4611686018427387904,4]", 16), data16, "more elements"},
		{"overflow to zero", oneVar("Int8", "[4294967296,4294967296]", 0), nil, "more elements"},
		{"huge dims, zero length", oneVar("Float32", "[1000000000]", 0), nil, "more elements"},
		{"dims disagree with length", oneVar("Float32", "[3]", 16), data16, "take 12 bytes"},
		{"length beyond the file", oneVar("Float32", "[1000000]", 4000000), data16, "16 bytes of tensor data remain"},
		{"negative length", oneVar("Float32", "[2]", -8), data16, "length -8"},
		{"negative step", `{"step":-5,"vars":[]}`, nil, "negative step -5"},
		{"unknown dtype", oneVar("Float33", "[4]", 16), data16, `unknown dtype "Float33"`},
		{"dtype without a Go type", oneVar("InvalidDType", "[4]", 16), data16, `unknown dtype "InvalidDType"`},
		{"packed dtype", oneVar("Int4", "[4]", 2), data16[:2], `unknown dtype "Int4"`},
		{"too many variables", manyVars, nil, "at most 65536"},
		{"rank too large", oneVar("Float32", "["+strings.Repeat("1,", maxRank)+"1]", 4), data16[:4], "rank 65"},
		{"duplicate variable", `{"step":1,"vars":[{"scope":"/","name":"w","dtype":"Int8","dims":[],"length":1},{"scope":"/","name":"w","dtype":"Int8","dims":[],"length":1}]}`, []byte{1, 2}, "appears twice"},
		{"trailing bytes", oneVar("Float32", "[2,2]", 16), make([]byte, 20), "4 unexpected bytes"},
		{"not JSON", `{"step":`, nil, "header"},
		{"dimension not an int", oneVar("Float32", "[1e30]", 16), data16, "header"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, Name(1))
			if err := os.WriteFile(path, craft(tc.header, tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			ck, err := Load(path)
			if tc.want == "" {
				if err != nil || len(ck.Vars) != 1 {
					t.Fatalf("Load of a valid file: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load error = %v, want one naming %s and %q", err, path, tc.want)
			}
		})
	}
}

// TestLoadEveryDType: every dtype a model can hold loads back.
func TestLoadEveryDType(t *testing.T) {
	for _, dt := range dtypes.DTypeValues() {
		if !storable(dt) {
			continue
		}
		path := filepath.Join(t.TempDir(), Name(1))
		header := oneVar(dt.String(), "[3]", 3*dt.Size())
		if err := os.WriteFile(path, craft(header, make([]byte, 3*dt.Size())), 0o644); err != nil {
			t.Fatal(err)
		}
		if ck, err := Load(path); err != nil || ck.Vars[0].Value.Shape().DType != dt {
			t.Errorf("%s: Load = %v", dt, err)
		}
	}
	for _, dt := range []string{"Uint64", "Float32", "Int64", "Bool", "BFloat16", "Complex128"} {
		if d, _ := dtypes.DTypeString(dt); !storable(d) {
			t.Errorf("%s is not storable", dt)
		}
	}
}

func TestLoadCraftedPreamble(t *testing.T) {
	valid := craft(oneVar("Int8", "[1]", 1), []byte{7})
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"header length beyond the file", seal(binary.LittleEndian.AppendUint64([]byte(magic+"\x01\x00\x00\x00"), 1<<62)), "header length"},
		{"other version", seal(append([]byte(magic+"\x02\x00\x00\x00"), valid[12:len(valid)-sha256.Size]...)), "format version 2"},
		{"bad magic", append([]byte("LATENTXX"), valid[8:]...), "bad magic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), Name(1))
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load error = %v, want one naming %s and %q", err, path, tc.want)
			}
		})
	}
}

// TestLatestNoneLoads: a folder whose checkpoint files all fail must not look
// like a folder without checkpoints (a resumed run would restart from step 0).
func TestLatestNoneLoads(t *testing.T) {
	dir := t.TempDir()
	bad := map[int64][]byte{
		3: craft(oneVar("Float32", "[-1]", 4), make([]byte, 4)),
		5: []byte("garbage"),
	}
	for step, b := range bad {
		if err := os.WriteFile(filepath.Join(dir, Name(step)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ck, skipped, err := Latest(dir)
	var unreadable *UnreadableError
	if ck != nil || errors.Is(err, ErrNone) || !errors.As(err, &unreadable) {
		t.Fatalf("Latest = %v, %v; want an *UnreadableError that is not ErrNone", ck, err)
	}
	if len(unreadable.Rejected) != 2 || len(skipped) != 2 {
		t.Errorf("rejected %v, skipped %v: want both files", unreadable.Rejected, skipped)
	}
	for _, want := range []string{dir, Name(3), "negative dimension", Name(5), "bad magic"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
