package vae

import (
	"fmt"
	"image"
	"slices"
)

// MapMethods are the projections of a map (--method), the default first.
func MapMethods() []string { return []string{MapPCA, MapTSNE, MapUMAP} }

// CheckMapMethod checks a --method value: one of MapMethods.
func CheckMapMethod(method string) error {
	if !slices.Contains(MapMethods(), method) {
		return argErrorf("--method %q: want pca, tsne or umap", method)
	}
	return nil
}

// CheckManifold checks a manifold's --manifold-n (n: images along each
// side, 2 to 100) and --scale.
func CheckManifold(n, scale int) error {
	if n < 2 || n > 100 {
		return argErrorf("--manifold-n %d: want 2 to 100", n)
	}
	return CheckScale(scale)
}

// DescribeManifold says what a manifold of n×n images (Manifold: img and
// its z values) shows, as `latent map --manifold` reports it.
func DescribeManifold(img image.Image, values []float64) string {
	n := len(values)
	return fmt.Sprintf("%d×%d images decoded from z1, z2 at the N(0,1) quantiles of %g to %g (%.2f to %.2f), %dx%d pixels",
		n, n, ManifoldLo, ManifoldHi, values[0], values[n-1], img.Bounds().Dx(), img.Bounds().Dy())
}
