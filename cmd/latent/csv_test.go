package main

import (
	"encoding/csv"
	"os"
	"testing"
)

// readCSV reads a whole CSV file, header row included, failing the test
// on any error.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// csvColumn is the index of the column named name in header, -1 if none.
func csvColumn(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	return -1
}
