package suggest

import "testing"

func TestClosest(t *testing.T) {
	cmds := []string{"eval", "interpolate", "map", "prior", "reconstruct", "sample", "train"}
	tests := []struct{ name, want string }{
		{"trian", "train"},       // one transposition: two edits
		{"sampel", "sample"},     // two edits
		{"recon", "reconstruct"}, // a prefix
		{"int", "interpolate"},   // a prefix of three bytes
		{"in", ""},               // too short a prefix, too far
		{"xyzzy", ""},            // nothing near
		{"ma", "map"},            // one edit
		{"ev", "eval"},           // two edits, fewer than eval's bytes
		{"p", "map"},             // two edits, fewer than map's bytes
		{"prio", "prior"},        // prefix
		{"", ""},                 // nothing typed
		{"maps", "map"},          // one edit
		{"samplee", "sample"},    // one edit
		{"reconstructs", "reconstruct"},
	}
	for _, tc := range tests {
		if got := Closest(tc.name, cmds); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"train", "trian", 2}, {"flaw", "lawn", 2}, {"same", "same", 0},
	}
	for _, tc := range tests {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestEither(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a or b"}, {[]string{"a", "b", "c"}, "a, b or c"},
	} {
		if got := Either(tc.names); got != tc.want {
			t.Errorf("Either(%q) = %q, want %q", tc.names, got, tc.want)
		}
	}
}
