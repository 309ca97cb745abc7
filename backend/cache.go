package backend

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/latent-vae/latent/third_party/go-xla/pkg/pjrt"
)

// EnvCache names the environment variable that places the cache of
// compiled XLA programs: unset or empty, the folder latent/xla in the
// user's cache folder (~/.cache/latent/xla on Linux); "off", no cache;
// anything else, the folder to use. A program compiled once on a machine
// is then loaded from the cache by every later command, instead of being
// compiled again (about 1.9 s for the default model's training step on a
// 2-core CPU).
const EnvCache = "LATENT_XLA_CACHE"

// CacheDir returns the folder of compiled XLA programs that $LATENT_XLA_CACHE
// asks for, as an absolute path, or "" when the cache is off (also when the
// user has no cache folder).
func CacheDir() (string, error) {
	v := strings.TrimSpace(os.Getenv(EnvCache))
	switch {
	case v == "off":
		return "", nil
	case v != "":
		dir, err := filepath.Abs(v)
		if err != nil {
			return "", fmt.Errorf("$%s %q: %w", EnvCache, v, err)
		}
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", nil // no $HOME nor $XDG_CACHE_HOME: compile every time
	}
	return filepath.Join(base, "latent", "xla"), nil
}

// EnvCacheTrust names the environment variable that, set to "shared",
// trusts a cache folder that other users own or can write, such as a
// team's shared cache: its entries are then loaded whoever wrote them
// (their checksums are checked all the same). Unset or empty, latent loads
// only entries the current user owns, in a folder that neither its group
// nor others can write; any other value is an error.
const EnvCacheTrust = "LATENT_XLA_CACHE_TRUST"

// cacheShared reports whether $LATENT_XLA_CACHE_TRUST says the cache folder
// is shared and trusted.
func cacheShared() (bool, error) {
	switch v := strings.TrimSpace(os.Getenv(EnvCacheTrust)); v {
	case "":
		return false, nil
	case "shared":
		return true, nil
	default:
		return false, fmt.Errorf("$%s %q: want shared, or unset", EnvCacheTrust, v)
	}
}

// enableCache points go-xla's executable cache (third_party/go-xla) at
// CacheDir, or turns it off, before an XLA backend compiles anything, and
// returns the folder. A folder that is not trusted (see EnvCacheTrust) is
// not used: the cache is off for this process, with a warning on warn
// naming the reason.
func enableCache(warn io.Writer) (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	shared, err := cacheShared()
	if err != nil {
		return "", err
	}
	if dir != "" {
		if err := pjrt.CheckExecutableCacheDir(dir, shared); err != nil {
			fmt.Fprintf(warn, "warning: compile cache: %v; this command neither reads nor writes it "+
				"(set $%s=shared if everyone who can write there is trusted)\n", err, EnvCacheTrust)
			dir = ""
		}
	}
	trust := ""
	if shared {
		trust = "shared"
	}
	for name, value := range map[string]string{pjrt.EnvExecutableCache: dir, pjrt.EnvExecutableCacheTrust: trust} {
		if err := os.Setenv(name, value); err != nil {
			return "", fmt.Errorf("setting $%s: %w", name, err)
		}
	}
	return dir, nil
}

// CacheUsage returns how many compiled programs the cache folder dir holds
// and their size in bytes; a folder not made yet holds none.
func CacheUsage(dir string) (programs int, bytes int64, err error) {
	entries, err := pjrt.ExecutableCacheEntries(dir)
	if err != nil {
		return 0, 0, fmt.Errorf("reading the compile cache: %w", err)
	}
	for _, e := range entries {
		bytes += e.Size
	}
	return len(entries), bytes, nil
}
