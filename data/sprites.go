package data

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/latent-vae/latent/sprites"
)

// Sprites names the generated binary set of dSprites' factor grid (package
// sprites): 737,280 64×64 images, one per combination of shape, scale,
// orientation, x and y, generated on first use into the data folder and
// cached bit-packed. Its splits hold the images as bits (Split.Bits), its
// labels are the shapes and its Factors all five factors.
const Sprites = sprites.Name

// SpritesTestFraction is the share of the sprites held out for the test
// split, fixed: dSprites has no test split, and Options.TestFraction and
// Options.Seed do not apply, so every run of the set holds out the same
// 7,373 images. It is small because the training loop and the commands
// that score a test split hold it as float32 (16 KB an image): 1 % is
// 121 MB, 10 % would be 1.2 GB.
const SpritesTestFraction = 0.01

// SpritesSplitSeed seeds the permutation that splits the sprites.
const SpritesSplitSeed = 1

// loadSprites opens (generating on first use) the sprites cache in the
// folder spritesDir chooses and splits it.
func loadSprites(opt Options) (*Set, error) {
	if opt.ImageSize != 0 && opt.ImageSize != sprites.Side {
		return nil, fmt.Errorf("sprites: image size %d: the sprites are %dx%d, never resized (image size applies to image folders)",
			opt.ImageSize, sprites.Side, sprites.Side)
	}
	if opt.Channels != 0 && opt.Channels != 1 {
		return nil, fmt.Errorf("sprites: channels %d: the sprites are binary, 1 channel (channels apply to image folders)", opt.Channels)
	}
	dir, err := spritesDir(opt)
	if err != nil {
		return nil, err
	}
	s, err := sprites.Open(dir)
	if err != nil {
		return nil, err
	}
	return spritesSet(s, dir), nil
}

// spritesDir returns the folder of the sprites cache by the rules of a
// named set: opt.Dir when given, else the first search folder holding the
// cache file, else the folder a fetched set would go to (DefaultDir).
func spritesDir(opt Options) (string, error) {
	if opt.Dir != "" {
		return opt.Dir, nil
	}
	for _, d := range searchDirs(Sprites, opt) {
		if info, err := os.Stat(filepath.Join(d, sprites.File)); err == nil && info.Mode().IsRegular() {
			return d, nil
		}
	}
	return DefaultDir(Sprites)
}

// spritesSet splits the sprites s, taking its bits: the test split is the
// first SpritesTestFraction of a permutation seeded by SpritesSplitSeed,
// the training split the rest, each in the permutation's order, so that
// any prefix of a split (Subset, a grid of the first images) is a uniform
// sample of the factors. The bits are reordered in place and both splits
// share them: no second copy is made.
func spritesSet(s *sprites.Set, dir string) *Set {
	n := s.Len()
	perm, nTest := splitPermutation(n, SpritesTestFraction, SpritesSplitSeed)
	bits := s.TakeBits()
	size := sprites.Pixels / 8
	permuteBlocks(bits, size, perm)
	split := func(order []int, packed []byte) *Split {
		sp := &Split{Bits: packed[:len(order)*size : len(order)*size], N: len(order), Labels: make([]int, len(order)),
			Height: sprites.Side, Width: sprites.Side, Channels: 1,
			Factors: &Factors{Names: sprites.Names(), Sizes: s.Sizes(), Values: make([]int, 0, len(order)*sprites.NumFactors)}}
		for k, i := range order {
			sp.Factors.Values = s.AppendValues(sp.Factors.Values, i)
			sp.Labels[k] = sp.Factors.At(k, sprites.Shape)
		}
		return sp
	}
	about := fmt.Sprintf("generated: %d images of dSprites' factor grid, cached in %s", n, dir)
	return &Set{Name: Sprites, Dir: dir, About: about, Classes: sprites.ShapeNames(),
		Test: split(perm[:nTest], bits), Train: split(perm[nTest:], bits[nTest*size:])}
}

// permuteBlocks reorders buf, blocks of size bytes, in place so that block
// k holds what block perm[k] held, following perm's cycles with one block
// of scratch space.
func permuteBlocks(buf []byte, size int, perm []int) {
	done := make([]bool, len(perm))
	tmp := make([]byte, size)
	block := func(k int) []byte { return buf[k*size : (k+1)*size] }
	for start := range perm {
		if done[start] {
			continue
		}
		copy(tmp, block(start))
		for k := start; ; {
			done[k] = true
			src := perm[k]
			if src == start {
				copy(block(k), tmp)
				break
			}
			copy(block(k), block(src))
			k = src
		}
	}
}
