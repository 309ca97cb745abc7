package prior

import (
	"strings"
	"testing"
)

// TestCheckResume: a fresh fit passes; a saved fit of the same step and
// checkpoint (or of an unrecorded one) resumes; another step or checkpoint
// is refused naming --resume.
func TestCheckResume(t *testing.T) {
	origin := Origin{Step: 10, Checkpoint: "abc"}
	for _, c := range []struct {
		saved *Config
		ok    bool
	}{
		{nil, true},
		{&Config{RunStep: 10, RunCheckpoint: "abc"}, true},
		{&Config{RunStep: 10}, true},
		{&Config{RunStep: 9, RunCheckpoint: "abc"}, false},
		{&Config{RunStep: 10, RunCheckpoint: "abd"}, false},
	} {
		w := &Workspace{Dir: "runs/a/priors/.gmm.partial", Saved: c.saved}
		err := w.CheckResume(origin)
		if c.ok != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), "--resume: the fit in runs/a/priors/.gmm.partial was begun")) {
			t.Errorf("saved %+v: %v, want ok %v", c.saved, err, c.ok)
		}
	}
}
