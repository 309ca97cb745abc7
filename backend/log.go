package backend

import (
	"os"
	"strings"
)

// LogEnvVar, set to 1, shows the log that the PJRT plugins (absl) and
// go-xla (klog) write while a plugin is loaded and its client created; by
// default it is discarded and latent says what went wrong itself.
const LogEnvVar = "LATENT_XLA_LOG"

// ShowXLALog reports whether $LATENT_XLA_LOG asks for XLA's log.
func ShowXLALog() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(LogEnvVar))) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}
