// Package layers holds no code: its test checks the import rule of
// latent's layers (DESIGN.md, "Imports point down") with `go list -deps`,
// and fails naming the chain of imports that breaks it.
package layers
