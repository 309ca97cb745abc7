// Package backend picks the GoMLX backend every latent command runs on: XLA
// (CPU or CUDA, through a PJRT plugin) when it can be loaded, else the
// pure-Go backend, never silently.
package backend

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // registers "go"
	"github.com/gomlx/gomlx/backends/xla"
)

// EnvVar is the environment variable GoMLX reads for its backend; latent
// honours it when --backend is not given.
const EnvVar = "GOMLX_BACKEND"

// Advice tells a user how to get the XLA CPU plugin.
const Advice = "run `latent setup` (or `make setup` in a clone) to install the XLA CPU PJRT plugin into ~/.local/lib/go-xla " +
	"(or set PJRT_PLUGIN_LIBRARY_PATH to a folder holding pjrt_c_api_cpu_plugin.so)"

// Backend is an opened backend and what was chosen.
type Backend struct {
	backends.Backend
	// Config is the configuration string that opened it, e.g. "xla:cpu" or "go".
	Config string
	// PluginPath and PJRTVersion describe the PJRT plugin; empty for the pure-Go backend.
	PluginPath  string
	PJRTVersion string
	// Fallback is true when XLA was wanted by default but was not found.
	Fallback bool
}

// Open opens the backend named by flagValue, or by $GOMLX_BACKEND when
// flagValue is empty. With neither set it opens XLA CPU when its plugin is
// found, else the pure-Go backend with a warning on warn. An explicit XLA
// choice that cannot be honoured is an error. GoMLX's auto-install from the
// network is always off.
func Open(flagValue string, warn io.Writer) (*Backend, error) {
	xla.EnableAutoInstall(false)
	keepFreedMemory()
	config := strings.TrimSpace(flagValue)
	if config == "" {
		config = strings.TrimSpace(os.Getenv(EnvVar))
	}
	if config == "" {
		if _, ok := pjrt.AvailablePlugins()["cpu"]; ok {
			return openXLA("xla:cpu")
		}
		fmt.Fprintf(warn, "warning: XLA CPU plugin not found, using the slow pure-Go backend; %s\n", Advice)
		b, err := openGo("go")
		if b != nil {
			b.Fallback = true
		}
		return b, err
	}
	name, _, _ := strings.Cut(config, ":")
	switch name {
	case "xla", "stablehlo", "hlo", "shlo":
		return openXLA(config)
	case "go":
		return openGo(config)
	}
	return nil, fmt.Errorf("--backend %q: unknown backend, want xla:cpu, xla:cuda, xla:/path/to/plugin.so or go", config)
}

func openXLA(config string) (*Backend, error) {
	_, plugin, _ := strings.Cut(config, ":")
	if plugin == "" {
		plugin = "cpu"
		config = "xla:cpu"
	}
	pluginName, _, _ := strings.Cut(plugin, ",")
	if !filepath.IsAbs(pluginName) {
		if _, ok := pjrt.AvailablePlugins()[pluginName]; !ok {
			return nil, fmt.Errorf("--backend %s: PJRT plugin %q not found; %s", config, pluginName, Advice)
		}
	} else if _, err := os.Stat(pluginName); err != nil {
		return nil, fmt.Errorf("--backend %s: %w", config, err)
	}
	b, err := backends.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("--backend %s: %w; %s", config, err, Advice)
	}
	out := &Backend{Backend: b, Config: config}
	if p, err := pjrt.GetPlugin(pluginName); err == nil {
		major, minor := p.Version()
		out.PluginPath = p.Path()
		out.PJRTVersion = fmt.Sprintf("%d.%d", major, minor)
	}
	return out, nil
}

func openGo(config string) (*Backend, error) {
	b, err := backends.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("--backend %s: %w", config, err)
	}
	return &Backend{Backend: b, Config: config}, nil
}

// Summary is the one line every command prints on stderr: which backend runs.
func (b *Backend) Summary() string {
	if b.PluginPath != "" {
		return fmt.Sprintf("backend: %s (PJRT plugin %s, API v%s)", b.Config, b.PluginPath, b.PJRTVersion)
	}
	return fmt.Sprintf("backend: %s (pure Go)", b.Config)
}
