package vae

import (
	"fmt"
	"math"
	"slices"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
)

// The checks of the values the commands take, shared by the options of
// each command's computation: every error is an *ArgError naming the flag.

// MaxImages bounds how many images one command decodes.
const MaxImages = 1 << 16

// MaxGridPixels bounds the pixels of one picture a command draws (about
// 1 GB as RGBA).
const MaxGridPixels = 1 << 28

// MaxPriorSteps bounds --prior-steps.
const MaxPriorSteps = 10000

// CheckScale checks --scale, the upscaling of every pixel.
func CheckScale(scale int) error {
	if scale < 1 || scale > 64 {
		return argErrorf("--scale %d: want 1 to 64", scale)
	}
	return nil
}

// CheckCount checks an image count given by flag name: 1 to MaxImages.
func CheckCount(name string, n int) error {
	if n < 1 || n > MaxImages {
		return argErrorf("%s %d: want 1 to %d", name, n, MaxImages)
	}
	return nil
}

// CheckTemperature checks --temperature: latents are float32;
// prior.ChosenTemperature (−1) asks for each prior's own.
func CheckTemperature(t float64) error {
	switch {
	case t == prior.ChosenTemperature:
		return nil
	case !(t >= 0):
		return argErrorf("--temperature %v: want ≥ 0 (or −1: each prior's chosen temperature)", t)
	case t > math.MaxFloat32:
		return argErrorf("--temperature %v: want at most %.3g (float32's largest)", t, math.MaxFloat32)
	}
	return nil
}

// CheckGridSize refuses a grid of n images of h×w pixels, each scaled by
// scale, larger than MaxGridPixels, naming the flags that set its size.
func CheckGridSize(n, h, w, scale int, flags string) error {
	if px := float64(n) * float64(h*w) * float64(scale*scale); px > MaxGridPixels {
		return argErrorf("%s: %d images of %dx%d pixels at scale %d make %.3g pixels, more than the %d one picture may have",
			flags, n, h, w, scale, px, MaxGridPixels)
	}
	return nil
}

// CheckPrior checks a --prior value (name) and its --prior-steps (steps).
func CheckPrior(name string, steps int) error {
	if !slices.Contains(prior.Names(), name) {
		return argErrorf("--prior %q: want %s", name, prior.Either(prior.Names()))
	}
	if steps < 1 || steps > MaxPriorSteps {
		return argErrorf("--prior-steps %d: want 1 to %d", steps, MaxPriorSteps)
	}
	return nil
}

// CheckFPS checks --fps, the frame rate of an animation.
func CheckFPS(fps int) error {
	if fps < 1 || fps > generate.MaxFPS {
		return argErrorf("--fps %d: want 1 to %d", fps, generate.MaxFPS)
	}
	return nil
}

// TemperatureWords names temperature t as a command reports it: "the
// prior's chosen temperature" for prior.ChosenTemperature.
func TemperatureWords(t float64) string {
	if t == prior.ChosenTemperature {
		return "the prior's chosen temperature"
	}
	return fmt.Sprintf("temperature %g", t)
}
