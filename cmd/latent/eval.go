package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/train"
)

// runEval implements `latent eval`: the negative ELBO, its terms, the active
// units and the importance-weighted NLL of a run on a test split.
func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "--run DIR [--data X] [--iw K] [--binarize] [--json] [--batch B] [--chunk C] [--seed S] [--limit N] [--backend B]", stderr)
	f := evalFlags(fs)
	k := fs.Int("iw", 1000, "importance samples per image for the IW bound on the NLL (0: skip it)")
	binarize := fs.Bool("binarize", false, "evaluate on dynamically binarized test images (each pixel 1 with its value as probability, seeded by --seed), the IWAE paper's protocol")
	asJSON := fs.Bool("json", false, "print the result as JSON instead of a table")
	chunk := fs.Int("chunk", eval.DefaultChunk, "importance samples per image drawn in one graph call")
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	switch {
	case *k < 0 || *k > 1_000_000:
		return fmt.Errorf("--iw %d: want 0 (skip) to 1000000", *k)
	case *chunk < 1:
		return fmt.Errorf("--chunk %d: want at least 1", *chunk)
	}
	run, set, err := loadRunAndData(f)
	if err != nil {
		return err
	}
	test := limitSplit(set.Test, *f.limit)
	s, err := openEvalSession(run, f, stderr)
	if err != nil {
		return err
	}
	defer s.close()
	images := test.Images
	if *binarize {
		images = data.Binarize(images, *f.seed)
	}
	s.model.Chunk = *chunk
	r, err := eval.Evaluate(s.model, images, *k, *f.seed)
	if err != nil {
		return fmt.Errorf("evaluating %s: %w", s.run.Dir, err)
	}
	out := evalReport{Result: *r, Binarized: *binarize, Step: s.run.Step, Run: s.run.Dir, Data: set.Name, Seed: *f.seed}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return out.table(stdout)
}

// evalReport is what `latent eval` prints.
type evalReport struct {
	eval.Result
	Binarized bool   `json:"binarized"`
	Step      int64  `json:"step"`
	Run       string `json:"run"`
	Data      string `json:"data"`
	Seed      int64  `json:"seed"`
}

// table prints the report as aligned text.
func (r evalReport) table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	images := "test images"
	if r.Binarized {
		images += fmt.Sprintf(", dynamically binarized (seed %d)", r.Seed)
	}
	fmt.Fprintf(tw, "run\t%s (step %d)\n", r.Run, r.Step)
	fmt.Fprintf(tw, "data\t%s: %d %s\n", r.Data, r.Images, images)
	fmt.Fprintf(tw, "active units\t%d of %d (variance of the posterior mean across images > %g)\n",
		r.ActiveUnits, r.Latent, eval.ActiveThreshold)
	fmt.Fprintf(tw, "negative ELBO\t%.3f\tnats/image (one sampled z per image)\n", r.NegELBO)
	fmt.Fprintf(tw, "  reconstruction\t%.3f\tnats/image\n", r.Recon)
	fmt.Fprintf(tw, "  KL\t%.3f\tnats/image\n", r.KL)
	if r.IWNLL != nil {
		fmt.Fprintf(tw, "IW NLL (K=%d)\t%.3f\tnats/image (importance-weighted bound on −log p(x))\n", r.IWK, *r.IWNLL)
	}
	return tw.Flush()
}

// evalCommon holds the flags every evaluation command shares.
type evalCommon struct {
	run, data, backend *string
	batch, limit       *int
	seed               *int64
}

// evalFlags defines --run, --data, --backend, --batch, --limit and --seed.
func evalFlags(fs *flag.FlagSet) evalCommon {
	return evalCommon{
		run:     fs.String("run", "", "run folder (config.json and checkpoints) written by latent train"),
		data:    fs.String("data", "", "data set to evaluate on (default: the run's own); folder sets are read with the run's image size and channels"),
		backend: fs.String("backend", "", "backend: xla:cpu, xla:cuda, xla:/path/plugin.so or go (default: $GOMLX_BACKEND, else xla:cpu if installed, else go)"),
		batch:   fs.Int("batch", eval.DefaultBatch, "decoder passes per graph call, which bounds memory"),
		limit:   fs.Int("limit", 0, "use only the first N test images (0: all)"),
		seed:    fs.Int64("seed", 1, "seed of the random draws"),
	}
}

// parseEvalFlags parses args and checks the shared flags.
func parseEvalFlags(fs *flag.FlagSet, args []string, f evalCommon) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case *f.run == "":
		return errors.New("--run: a run folder is required")
	case *f.batch < 1:
		return fmt.Errorf("--batch %d: want at least 1", *f.batch)
	case *f.limit < 0:
		return fmt.Errorf("--limit %d: want 0 (all) or more", *f.limit)
	}
	return nil
}

// evalSession is a loaded run with its evaluation graphs on an opened backend.
type evalSession struct {
	b     *backend.Backend
	run   *train.Run
	model *eval.Model
}

// openEvalSession opens --backend (printing its summary on stderr) and
// prepares run's evaluation graphs.
func openEvalSession(run *train.Run, f evalCommon, stderr io.Writer) (*evalSession, error) {
	b, err := backend.Open(*f.backend, stderr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stderr, b.Summary())
	m, err := eval.NewModel(b, run.Ctx, run.Config.Model)
	if err != nil {
		b.Finalize()
		return nil, fmt.Errorf("--run %s: %w", run.Dir, err)
	}
	m.Batch = *f.batch
	m.Progress = newProgress(stderr)
	return &evalSession{b: b, run: run, model: m}, nil
}

func (s *evalSession) close() {
	s.model.Finalize()
	s.b.Finalize()
}

// loadRunAndData loads the run in --run and the data set of --data (else
// the run's own).
func loadRunAndData(f evalCommon) (*train.Run, *data.Set, error) {
	run, err := loadRunFolder(*f.run)
	if err != nil {
		return nil, nil, err
	}
	set, err := loadEvalSet(run.Config, *f.data, "--data")
	if err != nil {
		return nil, nil, err
	}
	return run, set, nil
}

// loadRunFolder loads the run in dir, with errors that name --run.
func loadRunFolder(dir string) (*train.Run, error) {
	if info, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("--run %s: not a run folder: %w", dir, err)
	} else if !info.IsDir() {
		return nil, fmt.Errorf("--run %s: not a run folder: not a folder", dir)
	}
	run, err := train.LoadRun(dir)
	if err != nil {
		return nil, fmt.Errorf("--run: %w", err)
	}
	return run, nil
}

// loadEvalSet loads the run's data set, or spec when given (with the run's
// other data settings), and checks both splits hold images of the model's
// shape; errors name flag.
func loadEvalSet(cfg train.Config, spec, flag string) (*data.Set, error) {
	name := cmp.Or(spec, cfg.Data.Spec)
	set, err := cfg.LoadDataAs(spec)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, name, err)
	}
	for _, sp := range []struct {
		name  string
		split *data.Split
	}{{"training", set.Train}, {"test", set.Test}} {
		if sp.split.N == 0 {
			return nil, fmt.Errorf("%s %s: the %s split is empty", flag, name, sp.name)
		}
	}
	return set, nil
}

// limitSplit returns the first limit images of s (all when limit is 0).
func limitSplit(s *data.Split, limit int) *data.Split {
	if limit > 0 && limit < s.N {
		return s.Subset(limit)
	}
	return s
}

// newProgress returns a progress reporter for eval.Model: a bar on stderr
// when it is a terminal, and a line with the time taken when a phase ends.
func newProgress(stderr io.Writer) func(phase string, done, total int) {
	names := map[string]string{"encode": "encoding", "elbo": "ELBO", "iw": "importance sampling"}
	terminal := isTerminal(stderr)
	var bar *progressbar.ProgressBar
	var started time.Time
	return func(phase string, done, total int) {
		name := names[phase]
		if name == "" {
			name = phase
		}
		if done == 0 {
			started = time.Now()
			if terminal {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription(name), progressbar.OptionShowCount(),
					progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
			}
			return
		}
		if bar != nil {
			_ = bar.Set(done)
		}
		if done >= total {
			if bar != nil {
				_ = bar.Finish()
				bar = nil
			}
			fmt.Fprintf(stderr, "%s: %d images in %.1fs\n", name, total, time.Since(started).Seconds())
		}
	}
}
