package main

import "flag"

// labelFlag defines --label: the class a conditional run generates.
func labelFlag(fs *flag.FlagSet, what string) *string {
	return fs.String("label", "", what+", for a run trained with --conditional: a class name or index (e.g. 7)")
}
