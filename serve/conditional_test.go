package serve

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// newConditionalServer serves the fake run as a model conditional on its 3
// classes, decoded by dec.
func newConditionalServer(t *testing.T, dec Decoder, opt Options) (*Server, http.Handler) {
	t.Helper()
	cfg := fakeConfig()
	cfg.Classes = 3
	return newFakeRun(t, cfg, dec, opt)
}

func TestConditionalInfo(t *testing.T) {
	for _, tt := range []struct {
		name        string
		classes     int
		conditional bool
	}{{"unconditional", 0, false}, {"conditional", 3, true}} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fakeConfig()
			cfg.Classes = tt.classes
			_, h := newFakeRun(t, cfg, fakeDecoder{}, Options{})
			var got infoResponse
			decodeBody(t, do(h, "GET", "/api/info", "", ""), &got)
			if got.Conditional != tt.conditional || !slices.Equal(got.Classes, []string{"a", "b", "c"}) || got.Model.Classes != tt.classes {
				t.Errorf("info: conditional %v, classes %v, model classes %d; want %v, [a b c], %d",
					got.Conditional, got.Classes, got.Model.Classes, tt.conditional, tt.classes)
			}
		})
	}
}

// TestConditionalTestImages checks that each test image is encoded and
// scored with its own label.
func TestConditionalTestImages(t *testing.T) {
	s, h := newConditionalServer(t, fakeDecoder{}, Options{})
	for _, i := range []int{3, 4, 5} { // labels 0, 1, 2
		img, label := s.run.Test.Image(i), []int{s.run.Test.Labels[i]}
		mean, _, _ := fakeModel{}.Encode(img, label)
		recon, kl, _ := fakeModel{}.SharedELBO(img, label, 1, 0)
		var ti testResponse
		decodeBody(t, do(h, "GET", "/api/test/"+strconv.Itoa(i), "", ""), &ti)
		if !slices.Equal(ti.Mean, mean) || ti.Score != recon[0]+kl[0] || ti.Label != label[0] {
			t.Errorf("test image %d (label %d): mean %v, score %v; want %v, %v", i, label[0], ti.Mean, ti.Score, mean, recon[0]+kl[0])
		}
	}
}

// TestConditionalLabelsReachTheGraphs checks that each request's label is
// the one its codes are decoded and its image encoded and scored as.
func TestConditionalLabelsReachTheGraphs(t *testing.T) {
	s, h := newConditionalServer(t, fakeDecoder{}, Options{})
	z := []float32{1, -2, 3}
	want := func(label int) []int {
		img, _ := fakeDecoder{}.Decode(z, []int{label})
		return pixelBytes(img)
	}
	var one, other struct{ Image []int }
	decodeBody(t, do(h, "POST", "/api/decode", "", `{"z":[1,-2,3],"label":2}`), &one)
	decodeBody(t, do(h, "POST", "/api/decode", "", `{"z":[1,-2,3],"label":0}`), &other)
	if !slices.Equal(one.Image, want(2)) || !slices.Equal(other.Image, want(0)) || slices.Equal(one.Image, other.Image) {
		t.Errorf("decode as 2: %v, as 0: %v; want %v and %v", one.Image, other.Image, want(2), want(0))
	}
	var many struct{ Images [][]int }
	decodeBody(t, do(h, "POST", "/api/decode", "", `{"zs":[[0,0,0],[1,-2,3]],"label":1}`), &many)
	if len(many.Images) != 2 || !slices.Equal(many.Images[1], want(1)) {
		t.Errorf("batch decode as 1: %v, want its second image %v", many.Images, want(1))
	}

	// The label moves the fake's mean by 10 per class and its score by 100:
	// the PNG's 8-bit pixels by far less.
	img := s.run.Test.Image(4)
	for _, label := range []int{0, 2} {
		mean, _, _ := fakeModel{}.Encode(img, []int{label})
		r, kl, _ := fakeModel{}.SharedELBO(img, []int{label}, 1, 0)
		for _, req := range []struct{ name, path, ctype, body string }{
			{"JSON", "/api/encode", jsonType, jsonOf(t, map[string]any{"pixels": img, "label": label})},
			{"PNG", "/api/encode?label=" + strconv.Itoa(label), "image/png", pngOf(t, img, fakeSide, fakeSide)},
		} {
			var enc encodeResponse
			decodeBody(t, do(h, "POST", req.path, req.ctype, req.body), &enc)
			recon, _ := fakeDecoder{}.Decode(enc.Mean, []int{label})
			if math.Abs(float64(enc.Mean[0]-mean[0])) > 0.1 || math.Abs(enc.Score-(r[0]+kl[0])) > 0.1 ||
				!slices.Equal(enc.Reconstruction, pixelBytes(recon)) {
				t.Errorf("%s encode as %d: mean %v, score %v; want %v, %v and the mean decoded as %d",
					req.name, label, enc.Mean, enc.Score, mean, r[0]+kl[0], label)
			}
		}
	}
}

// TestConditionalInterpolate checks an interpolation's label: the one
// given, else the start image's.
func TestConditionalInterpolate(t *testing.T) {
	_, h := newConditionalServer(t, fakeDecoder{}, Options{})
	tests := []struct {
		body  string
		label int
	}{
		{`{"from_index":4,"to_index":0,"frames":3}`, 1}, // test image 4's label
		{`{"from_index":4,"to_index":0,"frames":3,"label":2}`, 2},
		{`{"from":[0,0,0],"to_index":4,"frames":3,"label":0}`, 0},
	}
	for _, tt := range tests {
		var got interpolateResponse
		decodeBody(t, do(h, "POST", "/api/interpolate", "", tt.body), &got)
		mid, _ := fakeDecoder{}.Decode(got.Codes[1], []int{tt.label})
		if len(got.Frames) != 3 || !slices.Equal(got.Frames[1], pixelBytes(mid)) {
			t.Errorf("%s: the middle frame is not its code decoded as %d", tt.body, tt.label)
		}
	}
}

// labelRecorder is the fake decoder, recording the labels of every call.
type labelRecorder struct {
	fakeDecoder
	mu    sync.Mutex
	calls [][]int
}

func (d *labelRecorder) Decode(codes []float32, labels []int) ([]float32, error) {
	d.mu.Lock()
	d.calls = append(d.calls, slices.Clone(labels))
	d.mu.Unlock()
	return d.fakeDecoder.Decode(codes, labels)
}

// TestConditionalConcurrentDecodes sends two requests of 2 codes each, as
// different classes, at once: they fill the decoder's batch of 4 and share
// one call, and each gets its codes decoded as its own class.
func TestConditionalConcurrentDecodes(t *testing.T) {
	dec := &labelRecorder{}
	_, h := newConditionalServer(t, dec, Options{Window: 5 * time.Second}) // the full batch ends the window
	dec.mu.Lock()
	dec.calls = nil // the server's start-up
	dec.mu.Unlock()
	zs := [][]float32{{1, 2, 3}, {-1, 0, 1}}
	labels := []int{1, 2}
	got := make([][][]int, len(labels))
	var wg sync.WaitGroup
	for i, label := range labels {
		wg.Go(func() {
			rec := do(h, "POST", "/api/decode", "", jsonOf(t, map[string]any{"zs": zs, "label": label}))
			var r struct{ Images [][]int }
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &r) != nil {
				t.Errorf("decode as %d: %d %s", label, rec.Code, rec.Body)
				return
			}
			got[i] = r.Images
		})
	}
	wg.Wait()
	if len(dec.calls) != 1 || !slices.Equal(slices.Sorted(slices.Values(dec.calls[0])), []int{1, 1, 2, 2}) {
		t.Fatalf("decoder calls with labels %v: want one call of labels 1, 1, 2, 2", dec.calls)
	}
	for i, label := range labels {
		for j, z := range zs {
			want, _ := fakeDecoder{}.Decode(z, []int{label})
			if len(got[i]) != 2 || !slices.Equal(got[i][j], pixelBytes(want)) {
				t.Errorf("request as %d: image %d is not its code decoded as %d", label, j, label)
			}
		}
	}
}

// TestConditionalBadLabels checks that a conditional run refuses a missing
// or out-of-range label, naming the field, and an unconditional one ignores
// the field.
func TestConditionalBadLabels(t *testing.T) {
	s, h := newConditionalServer(t, fakeDecoder{}, Options{})
	img := jsonOf(t, s.run.Test.Image(0))
	png := pngOf(t, s.run.Test.Image(0), fakeSide, fakeSide)
	tests := []struct {
		name, path, ctype, body, want string
	}{
		{"decode without", "/api/decode", "", `{"z":[0,0,0]}`, `give "label", the class index (0 to 2)`},
		{"decode too big", "/api/decode", "", `{"z":[0,0,0],"label":3}`, "label = 3: want a class index 0 to 2 (a, b, c)"},
		{"decode negative", "/api/decode", "", `{"zs":[[0,0,0]],"label":-1}`, "label = -1: want a class index 0 to 2"},
		{"decode not a number", "/api/decode", "", `{"z":[0,0,0],"label":"b"}`, `field "label"`},
		{"encode without", "/api/encode", "", `{"pixels":` + img + `}`, `give "label"`},
		{"encode too big", "/api/encode", "", `{"pixels":` + img + `,"label":7}`, "label = 7"},
		{"PNG without", "/api/encode", "image/png", png, `give "label"`},
		{"PNG too big", "/api/encode?label=3", "image/png", png, "label = 3"},
		{"PNG not a number", "/api/encode?label=b", "image/png", png, `label="b": want an integer`},
		{"interpolate from a code without", "/api/interpolate", "", `{"from":[0,0,0],"to_index":1}`, `give "label"`},
		{"interpolate too big", "/api/interpolate", "", `{"from_index":0,"to_index":1,"label":3}`, "label = 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, "POST", tt.path, tt.ctype, tt.body)
			var e struct{ Error string }
			if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &e) != nil ||
				!strings.Contains(e.Error, tt.want) || !strings.Contains(e.Error, "label") {
				t.Errorf("%s: %d %s; want 400 and an error containing %q", tt.body, rec.Code, rec.Body, tt.want)
			}
		})
	}

	_, plain := newFakeServer(t, Options{})
	var with, without struct{ Image []int }
	decodeBody(t, do(plain, "POST", "/api/decode", "", `{"z":[1,2,3],"label":99}`), &with)
	decodeBody(t, do(plain, "POST", "/api/decode", "", `{"z":[1,2,3]}`), &without)
	if !slices.Equal(with.Image, without.Image) {
		t.Error(`an unconditional run decoded differently with a "label"`)
	}
}
