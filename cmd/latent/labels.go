package main

import "github.com/spf13/pflag"

// labelFlag defines --label: the class a conditional run generates.
func labelFlag(fs *pflag.FlagSet, what string) *string {
	return fs.String("label", "", what+", for a run trained with --conditional: a class name or index (e.g. 7)")
}
