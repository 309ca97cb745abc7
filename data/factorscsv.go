package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FactorsFile is the file beside a folder's images that gives their
// factors: a CSV file whose header row names the file column (any name)
// and then each factor, and whose rows give an image's file, relative to
// the folder and slash-separated as Split.Files holds it, then its value
// of each factor: an integer ≥ 0 (spaces around it allowed). A factor's
// size is its largest value + 1; a factor of named values is numbered by
// whoever writes the file. Every image of the set needs one row; a row may
// name an image skipped as corrupt, never a file that is not an image of
// the folder.
const FactorsFile = "factors.csv"

// readFactorsCSV reads the factors of the images files (paths relative to
// root) from root's FactorsFile: nil when there is none. known holds every
// image file of the folder, also those skipped as corrupt. An error names
// the file, the line and the column.
func readFactorsCSV(root string, files []string, known map[string]bool) (*Factors, error) {
	path := filepath.Join(root, FactorsFile)
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // checked here, to say how many fields
	header, err := r.Read()
	switch {
	case err == io.EOF:
		return nil, fmt.Errorf("%s: empty: want a header row naming the file column, then each factor", path)
	case err != nil:
		return nil, csvError(path, err)
	case len(header) < 2:
		return nil, fmt.Errorf("%s:1: the header names no factor: want the file column, then one column per factor", path)
	}
	fc := &Factors{Names: header[1:], Sizes: make([]int, len(header)-1)}
	for k, name := range fc.Names {
		if name == "" || fc.Index(name) != k {
			return nil, fmt.Errorf("%s:1: column %d: the factor name %q is empty or given twice", path, k+2, name)
		}
	}
	rows, err := readFactorRows(path, r, fc, known)
	if err != nil {
		return nil, err
	}
	fc.Values = make([]int, 0, len(files)*len(fc.Names))
	for _, file := range files {
		row, ok := rows[file]
		if !ok {
			return nil, fmt.Errorf("%s: no row for the image %s: every image of the folder needs one", path, file)
		}
		fc.Values = append(fc.Values, row...)
	}
	return fc, nil
}

// readFactorRows reads the rows after the header into a map from file to
// factor values, growing fc's sizes to each factor's largest value + 1.
func readFactorRows(path string, r *csv.Reader, fc *Factors, known map[string]bool) (map[string][]int, error) {
	rows := map[string][]int{}
	lines := map[string]int{}
	for {
		record, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, csvError(path, err)
		}
		line, _ := r.FieldPos(0)
		file := record[0]
		switch {
		case len(record) != len(fc.Names)+1:
			return nil, fmt.Errorf("%s:%d: a ragged row of %d fields: the header has %d (the file, then %d factors)",
				path, line, len(record), len(fc.Names)+1, len(fc.Names))
		case !known[file]:
			return nil, fmt.Errorf("%s:%d: column 1: %q is not an image of the folder (want its path relative to the folder, with /)", path, line, file)
		case lines[file] != 0:
			return nil, fmt.Errorf("%s:%d: column 1: %s is listed again (first on line %d)", path, line, file, lines[file])
		}
		lines[file] = line
		values := make([]int, len(fc.Names))
		for k, field := range record[1:] {
			v, err := strconv.Atoi(strings.TrimSpace(field))
			if err != nil || v < 0 {
				return nil, fmt.Errorf("%s:%d: column %d (%s): %q is not an integer ≥ 0", path, line, k+2, fc.Names[k], field)
			}
			values[k] = v
			fc.Sizes[k] = max(fc.Sizes[k], v+1)
		}
		rows[file] = values
	}
}

// csvError rewords a CSV reader's error (a quote out of place) with the
// file's path, line and the byte of the line where it is.
func csvError(path string, err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return fmt.Errorf("%s:%d: byte %d of the line: %w", path, pe.Line, pe.Column, pe.Err)
}
