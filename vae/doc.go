// Package vae is a trained run opened for use: a Session loads a run folder
// written by latent train on a backend and encodes images to codes, decodes
// codes to images, samples from any prior (N(0, I) or one fitted by latent
// prior fit, through one prior.Sampler), interpolates, reconstructs and
// scores its samples against the test split, the perfect prior's row
// included.
//
// cmd/latent, serve and the examples build on it; it prints on the
// Session's Log what the commands print on stderr (the backend, the run, the
// prior in use, progress), and its errors name the command-line flag or file
// they concern (--run, --prior, --label) as latent's commands report them.
// An error in a value the caller gave is an *ArgError, which a command
// reports as a usage error.
package vae
