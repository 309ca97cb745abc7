package backend

// GoXLA names the go-xla that latent's XLA backend runs on: not the module
// github.com/gomlx/go-xla, which the build information would name, but a
// copy of its v0.1.4 carried in latent's module (third_party/go-xla, with
// GoMLX's XLA backend copied beside it in third_party/gomlx) and patched
// with the compile cache; third_party/go-xla/PATCH.md lists every change.
const GoXLA = "v0.1.4, patched copy (third_party/go-xla)"
