package vae

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/models"
)

// Label returns the class index that value (a --label flag's) names in the
// run: a class name, else an index. ok is false when value is empty. A
// label given to an unconditional run is an *ArgError.
func (s *Session) Label(value string) (label int, ok bool, err error) {
	if value == "" {
		return 0, false, nil
	}
	names := s.Run.Config.Classes
	if !s.Model.Conditional() {
		return 0, false, argErrorf("--label %s: run %s is not conditional (train it with --conditional to generate by class)", value, s.Run.Dir)
	}
	if i := slices.Index(names, value); i >= 0 {
		return i, true, nil
	}
	i, err := strconv.Atoi(value)
	if err != nil || i < 0 || i >= s.Model.Classes {
		return 0, false, argErrorf("--label %s: not one of the run's %d classes: %s (or an index 0 to %d)",
			value, s.Model.Classes, ClassList(names), s.Model.Classes-1)
	}
	return i, true, nil
}

// ClassName is label's name in the run (its index when the run names none).
func (s *Session) ClassName(label int) string {
	if names := s.Run.Config.Classes; label < len(names) {
		return names[label]
	}
	return strconv.Itoa(label)
}

// NeedLabel is the *ArgError of a conditional run given no class to
// generate what.
func (s *Session) NeedLabel(what string) error {
	return argErrorf("run %s is conditional on %d classes (%s): give --label to choose the class of %s",
		s.Run.Dir, s.Model.Classes, ClassList(s.Run.Config.Classes), what)
}

// ClassList names classes, shortened when there are many.
func ClassList(names []string) string {
	if len(names) > 12 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}

// RepeatLabel is n copies of label.
func RepeatLabel(label, n int) []int { return slices.Repeat([]int{label}, n) }

// SampleLabels returns the labels of n samples of a model drawn without a
// label: none for an unconditional model, the classes in turn for a
// conditional one.
func SampleLabels(m models.Config, n int) []int {
	if !m.Conditional() {
		return nil
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % m.Classes
	}
	return labels
}
