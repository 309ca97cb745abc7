package backend

import (
	"os"
	"syscall"
)

// quietly runs fn with file descriptor 2 sent to a discarded file unless
// ShowXLALog: the PJRT plugins log through absl straight to it (and go-xla
// through klog), which is noise when latent says what went wrong itself.
func quietly(fn func() error) error {
	if ShowXLALog() {
		return fn()
	}
	sink, err := os.Open(os.DevNull)
	if err != nil {
		return fn()
	}
	defer sink.Close()
	saved, err := syscall.Dup(2)
	if err != nil {
		return fn()
	}
	defer syscall.Close(saved)
	os.Stderr.Sync()
	if err := syscall.Dup3(int(sink.Fd()), 2, 0); err != nil {
		return fn()
	}
	defer syscall.Dup3(saved, 2, 0)
	return fn()
}
