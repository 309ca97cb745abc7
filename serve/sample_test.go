package serve

import (
	"net/http"
	"strings"
	"testing"
)

// fakeSample draws a code that records its prior, seed and label, so the
// test sees what the server asked for.
func fakeSample(prior string, seed int64, label int) ([]float32, error) {
	return []float32{float32(len(prior)), float32(seed), float32(label)}, nil
}

func TestSample(t *testing.T) {
	s, err := New(Run{Name: "fake", Step: 7, Config: fakeConfig(), Decoder: fakeDecoder{}, Model: fakeModel{},
		Test: fakeTest(), Priors: []string{"normal", "gmm"}, Sample: fakeSample}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	h := s.Handler()
	var info infoResponse
	decodeBody(t, do(h, "GET", "/api/info", "", ""), &info)
	if strings.Join(info.Priors, ",") != "normal,gmm" {
		t.Errorf("info lists priors %v, want [normal gmm]", info.Priors)
	}
	var got struct {
		Z     []float32 `json:"z"`
		Prior string    `json:"prior"`
	}
	decodeBody(t, do(h, "POST", "/api/sample", jsonType, `{"prior":"gmm","seed":5}`), &got)
	if got.Prior != "gmm" || len(got.Z) != 3 || got.Z[0] != 3 || got.Z[1] != 5 {
		t.Errorf("sample from gmm with seed 5: %+v", got)
	}
	for _, body := range []string{`{"prior":"diffusion","seed":1}`, `{"seed":1}`} {
		if rec := do(h, "POST", "/api/sample", jsonType, body); rec.Code != http.StatusBadRequest ||
			!strings.Contains(rec.Body.String(), "want one of [normal gmm]") {
			t.Errorf("sample %s: %d %s; want 400 naming the priors", body, rec.Code, rec.Body)
		}
	}
	// A run without a sampler offers none.
	_, plain := newFakeServer(t, Options{})
	decodeBody(t, do(plain, "GET", "/api/info", "", ""), &info)
	if len(info.Priors) != 0 {
		t.Errorf("a server without a sampler lists priors %v", info.Priors)
	}
	if rec := do(plain, "POST", "/api/sample", jsonType, `{"prior":"normal"}`); rec.Code != http.StatusBadRequest {
		t.Errorf("sampling without a sampler: %d %s, want 400", rec.Code, rec.Body)
	}
}
