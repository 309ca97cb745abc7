// Package embedding maps latent codes to two dimensions and searches them:
// principal components (FitPCA), t-SNE (TSNE) and UMAP (UMAP) for the maps
// of `latent map` and `latent serve`, and brute-force nearest neighbours
// (Nearest). It works on codes already computed, on the CPU, apart from
// eval's likelihood graphs.
package embedding
