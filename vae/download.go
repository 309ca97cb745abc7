package vae

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// DownloadBar is a progress bar of total bytes on w when w is a terminal
// (what a download writes its bytes to as it goes), and nil otherwise:
// piped, a download says nothing as it goes.
func DownloadBar(w io.Writer, total int64) io.WriteCloser {
	if !IsTerminal(w) {
		return nil
	}
	return progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("downloading"),
		progressbar.OptionShowBytes(true), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}
