package data

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // registers the GIF decoder
	_ "image/jpeg"
	_ "image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/latent-vae/latent/internal/parallel"

	"golang.org/x/image/draw"
)

// maxImagePixels bounds the width×height of an image in an image folder, so
// that a corrupt header cannot claim an enormous allocation.
const maxImagePixels = 1 << 25

// maxImageSize bounds Options.ImageSize.
const maxImageSize = 4096

// splitStream separates the random stream of the train/test split from
// those seeded with the same seed elsewhere.
const splitStream = 0x5eed5b1175b1175

// decoded is one image of an image folder, converted to 8-bit pixels.
type decoded struct {
	pixels []uint8
	w, h   int
	bad    error // the image did not decode
	err    error // the file could not be read
}

// loadFolder reads a folder of images; maxPixels bounds each image's size.
func loadFolder(root string, opt Options, maxPixels int) (*Set, error) {
	opt, err := folderOptions(opt)
	if err != nil {
		return nil, err
	}
	paths, skipped, err := listImages(root)
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("reading %s: the folder holds no PNG, JPEG or GIF images (%d other files skipped)", root, skipped)
	}
	detect := opt.Channels == 0
	if detect {
		opt.Channels = 3 // read in colour, then keep grey if every image is
	}
	images := decodeAll(paths, opt, maxPixels)
	set := &Set{Name: root, Dir: root, Skipped: skipped, ChannelsDetected: detect}
	all, err := assemble(root, paths, images, opt, set)
	if err != nil {
		return nil, err
	}
	if detect && allGrey(all.Pixels) {
		all.Pixels, all.Channels = firstChannel(all.Pixels), 1
	}
	known := make(map[string]bool, len(paths))
	for _, p := range paths {
		known[relPath(root, p)] = true
	}
	if all.Factors, err = readFactorsCSV(root, all.Files, known); err != nil {
		return nil, err
	}
	train, test := splitIndices(all.N, opt.TestFraction, opt.Seed)
	set.Train, set.Test = all.Pick(train), all.Pick(test)
	return set, nil
}

// folderOptions checks the image-folder options and fills in defaults.
func folderOptions(opt Options) (Options, error) {
	if opt.Channels != 0 && opt.Channels != 1 && opt.Channels != 3 {
		return opt, fmt.Errorf("channels must be 1 or 3 (or 0: from the images), got %d", opt.Channels)
	}
	if opt.ImageSize < 0 || opt.ImageSize > maxImageSize {
		return opt, fmt.Errorf("image size must be between 0 (keep) and %d, got %d", maxImageSize, opt.ImageSize)
	}
	if opt.TestFraction == 0 {
		opt.TestFraction = 0.1
	}
	if !(opt.TestFraction > 0 && opt.TestFraction < 1) {
		return opt, fmt.Errorf("test fraction must be in (0, 1), got %v", opt.TestFraction)
	}
	return opt, nil
}

// allGrey reports whether every pixel of RGB pixels has equal red, green
// and blue.
func allGrey(rgb []uint8) bool {
	for i := 0; i+2 < len(rgb); i += 3 {
		if rgb[i] != rgb[i+1] || rgb[i] != rgb[i+2] {
			return false
		}
	}
	return true
}

// firstChannel returns the red of RGB pixels: the grey of grey ones (luma
// of equal red, green and blue is that value).
func firstChannel(rgb []uint8) []uint8 {
	out := make([]uint8, len(rgb)/3)
	for i := range out {
		out[i] = rgb[3*i]
	}
	return out
}

// listImages returns the sorted paths of the image files under root and
// the number of other files. Symbolic links to files and folders are
// followed; a folder reached again (through a link loop, or a second link to
// it) is not listed again. Only regular files are listed as images: named
// pipes, sockets and devices are counted as other files, never opened.
func listImages(root string) (paths []string, skipped int, err error) {
	w := &folderWalk{seen: map[dirID]bool{}}
	if err := w.dir(root); err != nil {
		return nil, 0, err
	}
	slices.Sort(w.paths)
	return w.paths, w.skipped, nil
}

// folderWalk gathers the image files of a folder tree.
type folderWalk struct {
	seen    map[dirID]bool // the folders listed so far
	paths   []string       // image files
	skipped int            // other files
}

// dir lists the folder at path, unless it has been listed already.
func (w *folderWalk) dir(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	id, err := folderID(path, info)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if w.seen[id] {
		return nil
	}
	w.seen[id] = true
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	for _, e := range entries {
		if err := w.entry(filepath.Join(path, e.Name()), e); err != nil {
			return err
		}
	}
	return nil
}

// entry adds one entry of a folder: an image file, another file, or a
// folder to list unless its name starts with ".".
func (w *folderWalk) entry(path string, e fs.DirEntry) error {
	mode := e.Type()
	if mode&fs.ModeSymlink != 0 {
		info, err := os.Stat(path)
		switch {
		case err != nil && isImageName(e.Name()):
			return fmt.Errorf("reading %s: %w", path, err)
		case err != nil: // a broken link, not to an image
			w.skipped++
			return nil
		}
		mode = info.Mode().Type()
	}
	switch {
	case mode.IsDir() && strings.HasPrefix(e.Name(), "."): // not entered
	case mode.IsDir():
		return w.dir(path)
	case mode.IsRegular() && isImageName(e.Name()):
		w.paths = append(w.paths, path)
	default:
		w.skipped++
	}
	return nil
}

// isImageName reports whether a file name has an image extension.
func isImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif":
		return true
	}
	return false
}

// decodeAll decodes the images at paths on all CPUs, keeping their order.
func decodeAll(paths []string, opt Options, maxPixels int) []decoded {
	out := make([]decoded, len(paths))
	parallel.Each(len(paths), func(i int) { out[i] = decodeFile(paths[i], opt, maxPixels) })
	return out
}

// decodeFile reads, decodes, resizes and converts one image.
func decodeFile(path string, opt Options, maxPixels int) decoded {
	img, err, bad := decodeImage(path, maxPixels)
	if err != nil || bad != nil {
		return decoded{err: err, bad: bad}
	}
	rgba := toRGBA(img, opt.ImageSize, opt.ImageSize)
	w, h := rgba.Rect.Dx(), rgba.Rect.Dy()
	return decoded{pixels: rgbaPixels(rgba, opt.Channels), w: w, h: h}
}

// ReadImageFile reads one PNG, JPEG or GIF file converted as image folders
// are: transparent pixels over black, stretched to w×h by Catmull-Rom when
// its size differs, grey (ITU-R 601 luma) or RGB for channels 1 or 3. It
// returns h·w·channels values in [0, 1], HWC.
func ReadImageFile(path string, h, w, channels int) ([]float32, error) {
	img, err, bad := decodeImage(path, maxImagePixels)
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, err
	}
	px := rgbaPixels(toRGBA(img, w, h), channels)
	return appendUnit(make([]float32, 0, len(px)), px), nil
}

// decodeImage reads and decodes an image file. err reports a file that
// cannot be read, bad one that is not a usable image (corrupt, empty, or
// over maxPixels, checked from its header before decoding).
func decodeImage(path string, maxPixels int) (img image.Image, err, bad error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err), nil
	}
	if !info.Mode().IsRegular() { // opening a named pipe would block
		return nil, fmt.Errorf("reading %s: not a regular file (mode %v)", path, info.Mode().Type()), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err), nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, nil, fmt.Errorf("decoding %s: a %dx%d image is empty or larger than the limit of %d pixels",
			path, cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err = image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	if img.Bounds().Empty() {
		return nil, nil, fmt.Errorf("decoding %s: the image is empty", path)
	}
	return img, nil, nil
}

// toRGBA draws img into a new RGBA image, stretched to w×h when both are
// positive and differ from its size.
func toRGBA(img image.Image, w, h int) *image.RGBA {
	b := img.Bounds()
	if w > 0 && h > 0 && (w != b.Dx() || h != b.Dy()) {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.CatmullRom.Scale(dst, dst.Rect, img, b, draw.Src, nil)
		return dst
	}
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	return dst
}

// rgbaPixels converts an RGBA image to 8-bit HWC pixels with 1 (luma, as
// color.GrayModel computes it) or 3 channels.
func rgbaPixels(img *image.RGBA, channels int) []uint8 {
	n := img.Rect.Dx() * img.Rect.Dy()
	out := make([]uint8, 0, n*channels)
	for y := range img.Rect.Dy() {
		row := img.Pix[y*img.Stride : y*img.Stride+4*img.Rect.Dx()]
		for x := 0; x < len(row); x += 4 {
			r, g, b := uint32(row[x]), uint32(row[x+1]), uint32(row[x+2])
			if channels == 1 {
				out = append(out, uint8((19595*r+38470*g+7471*b+1<<15)>>16))
			} else {
				out = append(out, row[x], row[x+1], row[x+2])
			}
		}
	}
	return out
}

// assemble gathers the decoded images into one split, labelled by class, and
// records the class names and skip counts in set.
func assemble(root string, paths []string, images []decoded, opt Options, set *Set) (*Split, error) {
	all := &Split{Channels: opt.Channels}
	var classOf []string
	firstPath := ""
	for i, im := range images {
		switch {
		case im.err != nil:
			return nil, im.err
		case im.bad != nil && opt.SkipBad:
			set.BadSkipped++
			continue
		case im.bad != nil:
			return nil, fmt.Errorf("%w: %w", ErrCorruptImage, im.bad)
		}
		if firstPath == "" {
			firstPath, all.Width, all.Height = paths[i], im.w, im.h
		} else if im.w != all.Width || im.h != all.Height {
			return nil, fmt.Errorf("reading %s: the image is %dx%d but %s is %dx%d: %w",
				paths[i], im.w, im.h, firstPath, all.Width, all.Height, ErrSizesDiffer)
		}
		all.Pixels = append(all.Pixels, im.pixels...)
		classOf = append(classOf, className(root, paths[i]))
		all.Files = append(all.Files, relPath(root, paths[i]))
		all.N++
	}
	if all.N == 0 {
		return nil, fmt.Errorf("reading %s: none of the folder's %d images decoded (%d skipped as corrupt)", root, len(paths), set.BadSkipped)
	}
	set.Classes = slices.Compact(slices.Sorted(slices.Values(classOf)))
	all.Labels = make([]int, all.N)
	for i, c := range classOf {
		all.Labels[i], _ = slices.BinarySearch(set.Classes, c)
	}
	return all, nil
}

// relPath returns path relative to root, slash-separated (path itself when
// it is not under root).
func relPath(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

// className returns the class of the image at path: the name of the
// immediate subfolder of root holding it, or "" if it lies in root itself.
func className(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return ""
	}
	dir, _, found := strings.Cut(filepath.ToSlash(rel), "/")
	if !found {
		return ""
	}
	return dir
}

// splitIndices splits 0..n-1 into sorted train and test indices, a seeded
// fraction frac of them (at least one when n >= 2, never all) for test.
func splitIndices(n int, frac float64, seed int64) (train, test []int) {
	perm, nTest := splitPermutation(n, frac, seed)
	test, train = perm[:nTest], perm[nTest:]
	slices.Sort(test)
	slices.Sort(train)
	return train, test
}

// splitPermutation returns a permutation of n images seeded by seed, whose
// first nTest, frac of n rounded (at least 1 and at most n-1 when n >= 2),
// are the test split's.
func splitPermutation(n int, frac float64, seed int64) (perm []int, nTest int) {
	nTest = int(math.Round(frac * float64(n)))
	if n >= 2 {
		nTest = max(1, min(nTest, n-1))
	} else {
		nTest = 0
	}
	return rand.New(rand.NewPCG(uint64(seed), splitStream)).Perm(n), nTest
}
