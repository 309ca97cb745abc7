package backend

// Every program that runs graphs gets glibc's malloc tuned for XLA's CPU
// runtime (see package malloc): the tuning is a C constructor of that
// package, run when the program loads.
import _ "github.com/latent-vae/latent/internal/malloc"
