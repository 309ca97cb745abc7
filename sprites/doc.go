// Package sprites draws dSprites (Matthey et al. 2017,
// github.com/deepmind/dsprites-dataset) procedurally in Go: 737,280 binary
// 64×64 images of a white shape on black, one for each combination of five
// factors, in dSprites' own index order, cached bit-packed in the data
// folder on first use.
//
// # Factors
//
// As dSprites defines them (its README and the metadata printed by
// dsprites_reloading_example.ipynb), with color (1 value, white) left out:
//
//   - shape: square, ellipse, heart (dSprites' values 1, 2, 3);
//   - scale: 6 values, linspace(0.5, 1, 6);
//   - orientation: 40 values, linspace(0, 2π, 40), both ends included,
//     so the step is 2π/39 and values 0 and 39 give the same image. The
//     shapes' symmetries repeat images too: a square looks the same after
//     π/2 and an ellipse after π, which the 2π/39 step never hits exactly,
//     so those images differ by a few pixels. The grid is kept as defined;
//     a model cannot tell these orientations apart, as on dSprites.
//   - x and y: 32 values each, linspace(0, 1, 32); x grows to the right and
//     y downwards (row 0 is the top), as in dSprites' images.
//
// Image i has factor values Values(i), and Index inverts it with dSprites'
// latent_to_index bases over (color, shape, scale, orientation, x, y) =
// (1, 3, 6, 40, 32, 32): 737280, 245760, 40960, 1024, 32, 1. Color is
// always 0, so the index is the same as dSprites'.
//
// # Rendering
//
// dSprites' pixel mapping is not published; it was measured here on the
// 320 real 64×64 frames of dsprites.gif in that repository (a traversal of
// scale, orientation and position) and on the sample grids in the notebook:
//
//   - the shape's centre of rotation is at (16 + 32·x, 16 + 32·y) pixels,
//     pixel (row r, column c) covering [c, c+1) × [r, r+1): the sprites'
//     centres span the middle half of the frame;
//   - at scale 1 the square is 20×20 pixels; the ellipse's axes are 26 and
//     14 pixels, the long one horizontal at orientation 0; the heart is 20
//     wide and 17 tall, upright (lobes up, point down) at orientation 0,
//     its lobe tops 9 pixels above the centre and its point 8 below; every
//     length is multiplied by the scale;
//   - orientation turns the shape counter-clockwise on screen about that
//     centre (measured: the ellipse at 0.8 rad runs from lower left to upper
//     right, and the heart's point turns to the right at π/2).
//
// Here a pixel is 1 when its centre lies inside the shape (point sampling,
// no anti-aliasing). The heart is two discs of radius 5·scale centred at
// (±5, −4)·scale from the centre, which touch at the notch, joined by
// the tangents from the point (0, 8)·scale. Every sprite of the grid lies
// at least 1.8 pixels inside the frame, so none is cut.
//
// Where this differs from dSprites' images: they were drawn by the LÖVE
// framework with its own rasteriser, so edges may differ by a pixel. At
// scale 1, position (0, 0) and orientation 0 the square (400 pixels) and
// the ellipse (288) match dSprites' frames in count and bounding box, and
// the heart matches its bounding box and centroid but not its outline:
// 228 pixels against dSprites' 222 (exact area 218.3 here), its lobes
// rounder and its notch shallower. dSprites' rotated squares also lose
// area (about 368 pixels at 45° against 400 upright) where these keep it.
// The images are therefore not pixel-identical to
// dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz, only the same grid of
// the same shapes at the same sizes, positions and angles;
// TestDSpritesFrames holds the measured numbers.
//
// # Cache
//
// Open generates the whole set on first use (parallel over images, each
// image rendered on its own, so the bytes do not depend on the number of
// CPUs) and writes it through internal/atomicfile as one file, File, in the
// folder: a 72-byte header (magic and format version, the five factor
// sizes, the image side, the SHA-256 of the pixels) and then 512 bytes per
// image, the 4096 pixels row-major, 8 to a byte, most significant bit first
// (numpy.packbits' order): 377,487,360 bytes of pixels in all. On every
// Open the header and the SHA-256 are checked; a missing, truncated or
// corrupt file is generated again, never used.
//
// # In latent
//
// `--data sprites` loads the set through package data (data.Sprites),
// which picks the cache's folder by its rules for a named set (--data-dir,
// $LATENT_DATA/sprites, ./data/sprites, ~/.local/share/latent/sprites),
// holds the images as bits (data.Split.Bits, unpacked batch by batch),
// splits them (a fixed 1 % test split, data.SpritesTestFraction), labels
// each image with its shape and gives all five factors as data.Factors.
// This package does not import data, so that data can import it, nor
// disentangle, which may import data: FactorValues and Sizes make a
// disentangle.Factors table. It is not data/sprites: the folders under
// ./data are data-set folders (./data/sprites is where a sprites cache may
// be looked for) and git ignores them.
package sprites
