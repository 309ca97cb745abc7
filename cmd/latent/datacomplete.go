package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latent-vae/latent/data"
)

// completeDataSpec completes --data: the named sets (data.Names) that
// start with what is typed, unless it is a path, and the folders it may
// be the start of, each with a trailing separator.
func completeDataSpec(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []string
	if !strings.ContainsRune(toComplete, filepath.Separator) {
		for _, n := range data.Names() {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
	}
	dir, _ := filepath.Split(toComplete)
	entries, _ := os.ReadDir(filepath.Clean(dir + "."))
	folders := false
	for _, e := range entries {
		path := dir + e.Name()
		if !e.IsDir() || !strings.HasPrefix(path, toComplete) || strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(toComplete, dir+".") {
			continue
		}
		out = append(out, path+string(filepath.Separator))
		folders = true
	}
	if folders {
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
