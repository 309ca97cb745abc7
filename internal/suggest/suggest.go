// Package suggest finds the "did you mean" for a mistyped name: the
// candidate nearest it by edit distance, or one it starts; and Either,
// a list of names as prose, as messages offer them.
package suggest

import "strings"

// Closest returns the candidate nearest name: at most two edits away (and
// fewer edits than the candidate has bytes), or starting with a name of 3
// bytes or more, which counts as one edit ("recon" for "reconstruct").
// The first of equally near candidates wins; "" when none is near.
func Closest(name string, candidates []string) string {
	best, bestDist := "", 3 // at most two edits away
	for _, c := range candidates {
		d := Distance(name, c)
		if len(name) >= 3 && len(name) < len(c) && strings.HasPrefix(c, name) {
			d = 1
		}
		if d < bestDist && d < len(c) {
			best, bestDist = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Either lists names as prose: "a, b or c".
func Either(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
