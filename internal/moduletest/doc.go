// Package moduletest holds no code, only a test: that latent works as a Go
// module others use. It packs the checkout as a module version, serves it
// through a file:// GOPROXY, installs cmd/latent with `go install …@version`
// and builds and runs a program of another module that imports latent (the
// program of examples/priorsample, which draws from a fitted prior).
package moduletest
