package main

import (
	"errors"
	"io"

	"github.com/gomlx/gomlx/backends"
)

func backendsDevice(i int) backends.DeviceNum { return backends.DeviceNum(i) }

// Commands not yet built: each helper replaces its line with a real file.
var errNotBuilt = errors.New("not built yet")

func runData(args []string, stdout, stderr io.Writer) error        { return errNotBuilt }
func runTrain(args []string, stdout, stderr io.Writer) error       { return errNotBuilt }
func runSample(args []string, stdout, stderr io.Writer) error      { return errNotBuilt }
func runReconstruct(args []string, stdout, stderr io.Writer) error { return errNotBuilt }
func runInterpolate(args []string, stdout, stderr io.Writer) error { return errNotBuilt }
func runTraverse(args []string, stdout, stderr io.Writer) error    { return errNotBuilt }
func runEval(args []string, stdout, stderr io.Writer) error        { return errNotBuilt }
func runMap(args []string, stdout, stderr io.Writer) error         { return errNotBuilt }
func runPlot(args []string, stdout, stderr io.Writer) error        { return errNotBuilt }
func runAnomaly(args []string, stdout, stderr io.Writer) error     { return errNotBuilt }
func runNeighbors(args []string, stdout, stderr io.Writer) error   { return errNotBuilt }
