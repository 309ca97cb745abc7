package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/latent-vae/latent/vae"
)

// TestProbeCommand: `latent probe --json` reports both classifiers on the
// codes and on pixels, then label spreading on the codes, with one error
// per draw, the table names the protocol, the same flags give the same
// numbers, and a set other than MNIST gets no reference.
func TestProbeCommand(t *testing.T) {
	runDir, _ := genTestRunOf(t, 1, 3, nil)
	args := []string{"probe", "--run", runDir, "--labels", "6", "--draws", "3", "--seed", "2"}
	code, stdout, stderr := genLatent(append(args, "--json")...)
	if code != 0 {
		t.Fatalf("latent probe --json: exit %d\n%s", code, stderr)
	}
	var r vae.ProbeResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("latent probe --json printed %q: %v", stdout, err)
	}
	if r.Labels != 6 || r.Draws != 3 || r.Seed != 2 || r.Classes != 3 || r.Test != genTestN || len(r.Scores) != 5 || r.Reference != nil {
		t.Fatalf("%+v: want 6 labels of 3 classes, 3 draws, seed 2, %d test images, 5 scores, no reference", r, genTestN)
	}
	if last := r.Scores[4]; last.Features != "codes" || last.Classifier != "label spreading (k = 10, α = 0.99)" {
		t.Errorf("the last score is %s %s, want codes and label spreading with the defaults", last.Features, last.Classifier)
	}
	for _, s := range r.Scores {
		if len(s.Errors) != 3 || !(s.Mean >= 0 && s.Mean <= 100) {
			t.Errorf("%s %s: errors %v, mean %g; want 3 in [0, 100]", s.Features, s.Classifier, s.Errors, s.Mean)
		}
	}
	code, table, stderr := genLatent(args...)
	if code != 0 {
		t.Fatalf("latent probe: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"6 labelled training images in all (2 per class of 3 classes), 3 draws from seed 2",
		"codes     logistic regression", "pixels    k-NN (k = 1)", "codes     label spreading (k = 10, α = 0.99)"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table does not say %q:\n%s", want, table)
		}
	}
	code, again, _ := genLatent(append(args, "--json")...)
	if code != 0 || again != stdout {
		t.Errorf("the same flags gave other numbers:\n%s\n%s", stdout, again)
	}
}

// TestProbeUsage: bad values exit 2 naming the flag.
func TestProbeUsage(t *testing.T) {
	runDir, _ := genTestRunOf(t, 1, 3, nil)
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"--labels 1: want at least 2", []string{"--labels", "1"}},
		{"--labels 2: 2 labels are fewer than the 3 classes", []string{"--labels", "2"}},
		{"--labels 30: class", []string{"--labels", "30"}},
		{"--draws 0: want 1 to 1000", []string{"--draws", "0"}},
		{"-k 7: more neighbours than the --labels 6", []string{"--labels", "6", "-k", "7"}},
		{"--limit -1", []string{"--limit", "-1"}},
		{"--spread-k -1: want at least 1, or 0", []string{"--spread-k", "-1"}},
		{"--spread-alpha 1: want it in (0, 1)", []string{"--spread-alpha", "1"}},
		{"--spread-k 20: the training split has 20 images", []string{"--labels", "6", "--spread-k", "20"}},
	} {
		code, _, stderr := genLatent(append([]string{"probe", "--run", runDir}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("latent probe %v: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
