package features

import (
	"crypto/sha256"
	_ "embed" // the shipped MNIST network
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"

	"github.com/latent-vae/latent/data"
)

// mnistFile is MNIST's feature network, trained by DefaultRecipe with
// `make features` (`latent features train --data mnist -o features/mnist.safetensors`).
//
//go:embed mnist.safetensors
var mnistFile []byte

// MNISTSHA256 is the SHA-256 of the shipped mnist.safetensors.
const MNISTSHA256 = "5d4a98c33b06dd807ca36bd1cf5656867dc791de8f5d93c04ff1a94ad5526aec"

// MNIST returns the shipped MNIST feature network, after checking the
// file's SHA-256.
func MNIST() (*Net, error) {
	return parseShipped(mnistFile, MNISTSHA256)
}

// parseShipped parses a network built into latent, whose file must have
// the SHA-256 want.
func parseShipped(raw []byte, want string) (*Net, error) {
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("the shipped MNIST feature network (features/mnist.safetensors) is damaged: SHA-256 %s, want %s", got, want)
	}
	n, err := parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the shipped MNIST feature network (features/mnist.safetensors): %w", err)
	}
	return n, nil
}

// CacheDir is the folder of the networks trained on first use:
// $XDG_CACHE_HOME/latent/features, by default ~/.cache/latent/features.
func CacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache folder for feature networks: %w", err)
	}
	return filepath.Join(dir, "latent", "features"), nil
}

// CachePath returns the file of set's network by recipe r in dir: named
// by the SHA-256 of the set's content and the recipe.
func CachePath(dir, dataHash string, r Recipe) string {
	sum := sha256.Sum256([]byte(dataHash + "\n" + r.key()))
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+".safetensors")
}

// ErrUnlabelled is wrapped by the error of a set without labels.
var ErrUnlabelled = errors.New("the data set has no labels")

// ForSet returns the feature network of set by recipe r (DefaultRecipe
// for latent's scores): the shipped one when set and r are those it was
// trained by, else the one cached in dir (see CacheDir), else one trained
// now on b and cached, with its accuracy said on log. progress, when not
// nil, follows the training steps.
func ForSet(b backends.Backend, set *data.Set, r Recipe, dir string, log io.Writer, progress func(done, total int)) (*Net, error) {
	if len(set.Classes) < 2 {
		return nil, fmt.Errorf("data set %s: %w to train a feature network on", set.Name, ErrUnlabelled)
	}
	hash := DataHash(set)
	shipped, err := MNIST()
	if err != nil {
		return nil, err
	}
	if shipped.DataHash == hash && shipped.Recipe == r {
		return shipped, nil
	}
	path := CachePath(dir, hash, r)
	if n, err := Load(path); err == nil {
		fmt.Fprintf(log, "feature network %s: cached, test accuracy %.2f%%\n", path, 100*n.Accuracy)
		return n, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (delete it to train it again)", err)
	}
	fmt.Fprintf(log, "training a feature network for %s (%d steps, once; cached in %s)\n", set.Name, r.Steps, dir)
	n, err := Train(b, set, r, progress)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the feature cache: %w", err)
	}
	if err := n.Save(path); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "feature network %s: test accuracy %.2f%%\n", path, 100*n.Accuracy)
	return n, nil
}
