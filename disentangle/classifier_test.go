package disentangle

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestClassifierPredict: fitted on three separable classes labelled 4, 7
// and 9 (not 0..K−1), Predict returns each training point's label and a
// new point's nearest class, as the package's own accuracy counts them.
func TestClassifierPredict(t *testing.T) {
	x := mat.NewDense(6, 2, []float64{0, 0, 0.2, 0.1, 5, 0, 5.1, 0.3, 0, 5, 0.2, 5.2})
	y := []int{4, 4, 7, 7, 9, 9}
	c, err := FitClassifier(x, y, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range y {
		if got := c.Predict(x.RawRowView(i)); got != want {
			t.Errorf("point %d: class %d, want %d", i, got, want)
		}
	}
	if a := c.m.accuracy(x, y); a != 1 {
		t.Errorf("accuracy %g, want 1", a)
	}
	if got := c.Predict([]float64{6, -1}); got != 7 {
		t.Errorf("(6, -1): class %d, want 7", got)
	}
	if _, err := FitClassifier(x, []int{1, 1, 1, 1, 1, 1}, 1); err == nil {
		t.Error("one class: no error")
	}
}
