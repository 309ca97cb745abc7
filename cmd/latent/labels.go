package main

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// labelFlag defines --label: the class a conditional run generates.
func labelFlag(fs *flag.FlagSet, what string) *string {
	return fs.String("label", "", what+", for a run trained with --conditional: a class name or index (e.g. 7)")
}

// label returns the class index that value (a --label flag's) names in the
// run: a class name, else an index. ok is false when value is empty. A
// label given to an unconditional run is an error.
func (s *session) label(value string) (label int, ok bool, err error) {
	if value == "" {
		return 0, false, nil
	}
	names := s.run.Config.Classes
	if !s.cfg.Conditional() {
		return 0, false, usagef("--label %s: run %s is not conditional (train it with --conditional to generate by class)", value, s.run.Dir)
	}
	if i := slices.Index(names, value); i >= 0 {
		return i, true, nil
	}
	i, err := strconv.Atoi(value)
	if err != nil || i < 0 || i >= s.cfg.Classes {
		return 0, false, usagef("--label %s: not one of the run's %d classes: %s (or an index 0 to %d)",
			value, s.cfg.Classes, classList(names), s.cfg.Classes-1)
	}
	return i, true, nil
}

// className is label's name in the run (its index when the run names none).
func (s *session) className(label int) string {
	if names := s.run.Config.Classes; label < len(names) {
		return names[label]
	}
	return strconv.Itoa(label)
}

// needLabel is the error of a conditional run given no class to generate.
func (s *session) needLabel(what string) error {
	return usagef("run %s is conditional on %d classes (%s): give --label to choose the class of %s",
		s.run.Dir, s.cfg.Classes, classList(s.run.Config.Classes), what)
}

// classList names classes, shortened when there are many.
func classList(names []string) string {
	if len(names) > 12 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}

// repeatLabel is n copies of label.
func repeatLabel(label, n int) []int { return slices.Repeat([]int{label}, n) }
