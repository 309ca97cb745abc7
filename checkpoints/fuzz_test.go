package checkpoints

import (
	"os"
	"testing"
)

// FuzzReadCheckpoint feeds arbitrary bytes to the reader, both as they are
// and with a valid SHA-256 trailer appended (so that mutations reach the
// header and tensor checks instead of stopping at the checksum). No input
// may panic, and a file that loads holds no more tensor bytes than it has.
func FuzzReadCheckpoint(f *testing.F) {
	dir := f.TempDir()
	path, err := Save(dir, 3, testConfig{Latent: 2}, newContext(1), 0)
	if err != nil {
		f.Fatal(err)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(saved)
	f.Add(saved[:len(saved)-32])
	f.Add(craft(oneVar("Float32", "[2,2]", 16), make([]byte, 16)))
	f.Add(craft(oneVar("Float32", "[-1]", 4), make([]byte, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, file := range [][]byte{data, seal(data)} {
			ck, err := decode(file)
			if err != nil {
				if err.Error() == "" {
					t.Fatal("empty error message")
				}
				continue
			}
			total := 0
			for _, v := range ck.Vars {
				total += int(v.Value.Shape().Memory())
			}
			if total > len(file) {
				t.Fatalf("loaded %d tensor bytes from a %d-byte file", total, len(file))
			}
		}
	})
}
