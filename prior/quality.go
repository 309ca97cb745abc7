package prior

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/atomicfile"
)

// QualityFile is the file of a prior's folder (RUN/priors/KIND/) that holds
// its Quality, written in the fit's partial folder before it is committed,
// so that a prior and its score are put in place together.
const QualityFile = "quality.json"

// Quality is what a fit measured of its prior: the FID, precision and
// recall of its samples' decodings against the run's test split in the
// run's feature network (as `latent score` measures them), or why it was
// not measured, with the fit's own time.
type Quality struct {
	// Prior is the SHA-256 (hex) of the prior's checkpoint file the score
	// is of; a score of another file is not the prior's.
	Prior string `json:"prior_checkpoint"`
	// Unscored, when not "", says why nothing was measured; FID,
	// Precision and Recall are then 0.
	Unscored  string  `json:"unscored,omitempty"`
	FID       float64 `json:"fid"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Samples   int     `json:"samples"`   // the prior's samples scored
	Reference int     `json:"reference"` // the test images they were scored against
	Seed      int64   `json:"seed"`      // of the samples
	// Features names the feature network and FeaturesSHA its data set's
	// SHA-256 (features.DataHash).
	Features    string  `json:"features"`
	FeaturesSHA string  `json:"features_data_sha,omitempty"`
	FitSeconds  float64 `json:"fit_seconds"`   // the fit, encoding the codes included
	ScoreSecs   float64 `json:"score_seconds"` // the measurement
	// Temperature is the sampling temperature the fit chose and FID,
	// Precision and Recall were measured at: of QualityTemperatures, the
	// one whose samples scored the lowest FID against the training split
	// (Tried), so that the choice never looks at the test split the
	// stored score is measured on. 0 in a file written before fits chose
	// one: temperature 1.
	Temperature float64 `json:"temperature,omitempty"`
	// Tried is each temperature's FID against the training split.
	Tried []TriedTemperature `json:"tried,omitempty"`
}

// TriedTemperature is one temperature a fit's score tried: the FID of its
// samples against the training split.
type TriedTemperature struct {
	Temperature float64 `json:"temperature"`
	TrainFID    float64 `json:"train_fid"`
}

// QualityTemperatures are the sampling temperatures a fit's score tries.
// A lower temperature draws each code nearer its mode: a mixture's
// components tighter, a diffusion prior's starting noise smaller. Which
// helps is measured per prior: on MNIST runs a mixture's samples gained,
// a diffusion prior's and a transformer's lost (docs/numbers.md).
func QualityTemperatures() []float64 { return []float64{1, 0.9, 0.8, 0.7} }

// ChosenTemperature, passed as a Sampler's temperature where a command was
// given none, asks for the temperature the prior's fit chose
// (Quality.SampleTemperature); vae.Session's samplers resolve it.
const ChosenTemperature = -1

// ChoseTemperature reports whether q's fit chose a temperature: false for
// a prior scored before fits chose one, or not scored.
func (q *Quality) ChoseTemperature() bool { return q.Scored() && q.Temperature > 0 }

// SampleTemperature is the temperature the prior draws at when none is
// asked for: the one its fit chose (ChoseTemperature), else 1.
func (q *Quality) SampleTemperature() float64 {
	if !q.ChoseTemperature() {
		return 1
	}
	return q.Temperature
}

// Scored reports whether q holds a finite FID.
func (q *Quality) Scored() bool {
	return q != nil && q.Unscored == "" && q.FID >= 0 && !math.IsInf(q.FID, 1) // NaN fails q.FID >= 0
}

// WriteQuality writes q as the quality of the prior saved in dir (its
// newest checkpoint, whose SHA-256 q records), atomically.
func WriteQuality(dir string, q Quality) error {
	ck, _, err := checkpoints.Latest(dir)
	if err != nil {
		return fmt.Errorf("scoring the prior in %s: %w", dir, err)
	}
	if q.Prior, err = checkpointHash(dir, ck.Step); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(q, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, QualityFile), err)
	}
	path := filepath.Join(dir, QualityFile)
	if err := atomicfile.WriteBytes(path, append(raw, '\n')); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ReadQuality returns the stored quality of s, a saved prior of runDir's:
// nil when none was stored (a prior fitted before fits were scored) or
// when the one stored is of another checkpoint file than s's.
func ReadQuality(s *Saved) (*Quality, error) {
	dir := filepath.Dir(s.Ckpt.Path)
	path := filepath.Join(dir, QualityFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var q Quality
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum, err := checkpointHash(dir, s.Ckpt.Step)
	if err != nil {
		return nil, err
	}
	if q.Prior != sum {
		return nil, nil
	}
	return &q, nil
}

// Entry is one fitted prior of a run as Best and List see it: its saved
// config and stored quality, and how it stands against the run's
// checkpoint.
type Entry struct {
	Kind    string
	Rank    int
	Saved   *Saved
	Quality *Quality // nil: unscored (fitted before fits were scored)
	// Mismatch, when not nil, is why the prior cannot draw for the run's
	// checkpoint (Origin.Check's error); Warning is Check's warning.
	Mismatch error
	Warning  string
	// Unusable, when not nil, is why this latent cannot open the prior at
	// all (Kind.Usable's error): it must be fitted again.
	Unusable error
}

// Problem is why the prior cannot draw for the run: Unusable, else
// Mismatch (nil when it can).
func (e Entry) Problem() error {
	if e.Unusable != nil {
		return e.Unusable
	}
	return e.Mismatch
}

// Fits returns the priors fitted to runDir, by rank (the best last),
// each checked against origin when it is not nil, and by its kind's
// Usable. A prior whose files cannot be read is an error naming them; one
// this latent cannot open is an Entry with Unusable set.
func Fits(runDir string, origin *Origin) ([]Entry, error) {
	var out []Entry
	for _, k := range registry {
		if !Fitted(runDir, k.Name) {
			continue
		}
		s, err := Read(runDir, k.Name)
		if err != nil {
			return nil, err
		}
		q, err := ReadQuality(s)
		if err != nil {
			return nil, err
		}
		e := Entry{Kind: k.Name, Rank: k.Rank, Saved: s, Quality: q, Unusable: s.Usable()}
		if origin != nil {
			e.Warning, e.Mismatch = origin.Check(s.Config, s.Ckpt.Path)
		}
		out = append(out, e)
	}
	return out, nil
}

// Order sorts entries best first: those scored by FID, the lowest first;
// then the unscored ones by Rank, the highest first; those that cannot
// draw for the run (Problem: unusable, or not matching its checkpoint)
// last.
func Order(entries []Entry) {
	class := func(e Entry) int {
		switch {
		case e.Problem() != nil:
			return 2
		case e.Quality.Scored():
			return 0
		}
		return 1
	}
	slices.SortStableFunc(entries, func(a, b Entry) int {
		if c := cmp.Compare(class(a), class(b)); c != 0 {
			return c
		}
		if class(a) == 0 {
			return cmp.Compare(a.Quality.FID, b.Quality.FID)
		}
		return cmp.Compare(b.Rank, a.Rank)
	})
}

// Choice is what --prior auto picks and why.
type Choice struct {
	Kind   string // a fitted kind, or Normal
	Reason string // one line: the scores compared, or why there are none
}

// Best picks the prior --prior auto draws from for runDir: of the fitted
// priors that match origin's checkpoint (all, when origin is nil) and
// that this latent can open (Kind.Usable), the lowest stored FID;
// unscored ones after scored ones, by Rank; Normal when none is fitted
// (Reason ""), or none can draw (Reason says why, in one line naming the
// first one's problem: an unusable prior's file and that it must be
// fitted again).
func Best(runDir string, origin *Origin) (Choice, error) {
	entries, err := Fits(runDir, origin)
	if err != nil {
		return Choice{}, err
	}
	Order(entries)
	if len(entries) == 0 {
		return Choice{Kind: Normal}, nil
	}
	switch first := entries[0]; {
	case first.Unusable != nil:
		return Choice{Kind: Normal, Reason: "no fitted prior can draw: " + first.Unusable.Error()}, nil
	case first.Mismatch != nil:
		return Choice{Kind: Normal, Reason: "no fitted prior matches the run's checkpoint: " + first.Mismatch.Error()}, nil
	}
	return Choice{Kind: entries[0].Kind, Reason: reason(runDir, entries)}, nil
}

// reason says why entries[0] was picked of entries (ordered).
func reason(runDir string, entries []Entry) string {
	var scored, unscored []string
	for _, e := range entries {
		switch {
		case e.Problem() != nil:
		case e.Quality.Scored():
			scored = append(scored, fmt.Sprintf("%s %.4g", e.Kind, e.Quality.FID))
		default:
			unscored = append(unscored, e.Kind)
		}
	}
	first := entries[0]
	var b strings.Builder
	if first.Quality.Scored() {
		fmt.Fprintf(&b, "FID %.4g, the best of %s measured at fit", first.Quality.FID, strings.Join(scored, ", "))
		if len(unscored) > 0 {
			fmt.Fprintf(&b, "; unscored, so ranked after: %s (`latent prior score --run %s --kind KIND` scores one)", Either(unscored), runDir)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "unscored: no fitted prior of the run has a score")
	if first.Quality != nil && first.Quality.Unscored != "" {
		fmt.Fprintf(&b, " (%s: %s)", first.Kind, first.Quality.Unscored)
	} else {
		fmt.Fprintf(&b, " (%s was fitted before latent scored its fits)", first.Kind)
	}
	fmt.Fprintf(&b, ", so the kinds' default order picks %s; score it with `latent prior score --run %s --kind %s`",
		first.Kind, runDir, first.Kind)
	return b.String()
}
