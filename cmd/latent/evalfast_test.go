package main

import (
	"math"
	"strings"
	"testing"
)

// TestEvalFastDefault: eval's default IW-NLL uses a small K, every
// likelihood comes in bits/dim beside nats, a large K's time is estimated
// before it starts, and the published references of the protocol run are
// printed.
func TestEvalFastDefault(t *testing.T) {
	dir := evRun(t)
	var r struct {
		NegELBO float64 `json:"neg_elbo"`
		IWNLL   float64 `json:"iw_nll"`
		IWK     int     `json:"iw_k"`
		Bits    struct {
			NegELBO float64 `json:"neg_elbo"`
			IWNLL   float64 `json:"iw_nll"`
		} `json:"bits_per_dim"`
		References struct{ Published, Ours string } `json:"references"`
	}
	stderr := evalJSON(t, dir, &r, "--limit", "30")
	if r.IWK < 1 || r.IWK > 20 {
		t.Errorf("eval's default K = %d, want a small one (seconds, not minutes)", r.IWK)
	}
	perDim := 1 / (28 * 28 * math.Ln2)
	if !(math.Abs(r.Bits.NegELBO-r.NegELBO*perDim) <= 1e-9) || !(math.Abs(r.Bits.IWNLL-r.IWNLL*perDim) <= 1e-9) || r.Bits.IWNLL == 0 {
		t.Errorf("bits/dim %+v for %.3f and %.3f nats: want nats/(784 ln 2)", r.Bits, r.NegELBO, r.IWNLL)
	}
	if !strings.Contains(r.References.Published, "105.6") || !strings.Contains(r.References.Ours, "latent eval --run RUN --iw 1000") {
		t.Errorf("grey MNIST references %+v: want pytorch's 105.6 and the command of our table", r.References)
	}
	if strings.Contains(stderr, "estimated") {
		t.Errorf("eval with the default K printed an estimate: %q", stderr)
	}
	code, stdout, stderr := evLatent("eval", "--run", dir, "--limit", "20", "--iw", "1000", "--binarize")
	switch {
	case code != 0:
		t.Fatalf("eval --iw 1000: exit %d, stderr %q", code, stderr)
	case !strings.Contains(stderr, "K=1000 on 20 images: estimated"):
		t.Errorf("eval --iw 1000 printed no time estimate first: %q", stderr)
	case strings.Index(stderr, "estimated") > strings.Index(stderr, "encoding"):
		t.Errorf("eval --iw 1000 printed its estimate after starting: %q", stderr)
	case !strings.Contains(stdout, "bits/dim") || !strings.Contains(stdout, "86.76") || !strings.Contains(stdout, "82.90"):
		t.Errorf("eval --binarize table: want bits/dim and the IWAE paper's 86.76 and 82.90:\n%s", stdout)
	}
}
