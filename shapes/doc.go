// Package shapes generates latent's colour test set: RGB images of one
// flat-coloured circle or square on a flat background, each with its
// factors known, deterministic for a seed.
//
// # Images
//
// Each image is Side×Side pixels, three channels, row-major, one byte per
// subpixel. Its factors are drawn independently:
//
//   - the shape (the class): a circle or a square, with equal chances;
//   - its size: the radius of the circle or half the side of the square,
//     uniform in [MinSize, MaxSize] pixels;
//   - its centre: uniform over the positions that keep the whole shape in
//     the frame;
//   - its colour and the background's: each subpixel uniform in 0..255,
//     drawn again until the two colours differ by at least MinContrast
//     in some channel, so the shape is always visible.
//
// A pixel (row r, column c) covers [c, c+1) × [r, r+1) and takes the
// shape's colour when its centre lies inside the shape (point sampling,
// no anti-aliasing), so every image holds exactly two colours.
//
// # The set
//
// Generate(n, seed) draws n images from a PCG generator seeded with seed,
// one after another, so the first images of a larger set are those of a
// smaller one. The data set "shapes" (package data) is Generate(Count,
// Seed): 3,000 images, the classes "circle" and "square".
//
// # Errors of a reconstruction
//
// Errors measures how well an image drawn by a model keeps the factors of
// the image it reconstructs: the mean absolute error of each channel over
// the shape's pixels, in levels of 255, and the distance in pixels between
// the centroid of the pixels it draws nearer the shape's colour than the
// background's and the shape's true centroid.
package shapes
