package vae

import (
	"errors"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
)

// TestPickByLabelRange: a class name or label picks its which-th image;
// --which past a class's images names how many it has, and a value that
// names no class is refused; both are the caller's mistakes (*ArgError).
func TestPickByLabelRange(t *testing.T) {
	s := &data.Split{Labels: []int{1, 3, 3, 0}, N: 4}
	classes := []string{"zero", "one", "two", "three"}
	for _, c := range []struct {
		value   string
		which   int
		want    int
		wantErr string
	}{
		{"3", 0, 1, ""}, {"three", 1, 2, ""}, {"0", 0, 3, ""},
		{"3", 2, 0, "holds 2 images of class 3 (--which 0 to 1)"},
		{"2", 0, 0, "holds no image of class 2"},
		{"x", 0, 0, "not a class of the data set: want one of zero, one, two, three (or a label 0 to 3)"},
		{"4", 0, 0, "not a class of the data set"},
	} {
		got, err := PickByLabel(s, classes, "--image-label", c.value, c.which)
		if c.wantErr != "" {
			var arg *ArgError
			if !errors.As(err, &arg) || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("PickByLabel(%s, %d): %v, want an *ArgError with %q", c.value, c.which, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("PickByLabel(%s, %d) = %d, %v; want %d", c.value, c.which, got, err, c.want)
		}
	}
}

// TestImageName names a test image by index and class.
func TestImageName(t *testing.T) {
	set := &data.Set{Classes: []string{"cat", "dog"}, Test: &data.Split{Labels: []int{1, 0, 5}, N: 3}}
	for i, want := range []string{"test image 0 (label dog)", "test image 1 (label cat)", "test image 2 (label 5)"} {
		if got := ImageName(set, i); got != want {
			t.Errorf("ImageName(%d) = %q, want %q", i, got, want)
		}
	}
}
