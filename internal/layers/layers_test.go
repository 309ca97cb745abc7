package layers

import (
	"bytes"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is latent's module path.
const module = "github.com/latent-vae/latent"

// rules are the import rule: a package (relative to the module) and the
// packages that must not be among its dependencies, direct or not; a
// forbidden package forbids its subpackages too.
var rules = []struct {
	pkg       string
	forbidden []string
}{
	// The libraries a Go program uses to sample and score: no training
	// loop, no backend set-up, no installer, no command.
	{"prior", []string{"train", "backend", "pjrtplugin", "cmd/latent"}},
	{"score", []string{"train", "backend", "pjrtplugin", "cmd/latent"}},
	{"features", []string{"train", "backend", "pjrtplugin", "cmd/latent", "export", "rundir"}},
	{"models", []string{"train", "backend", "pjrtplugin", "cmd/latent"}},
	// Training runs graphs on a backend it is given.
	{"train", []string{"backend", "pjrtplugin", "cmd/latent"}},
	// Finding a plugin is not installing one.
	{"backend", []string{"pjrtplugin"}},
	// The 2-D maps work on codes, apart from the likelihood graphs.
	{"embedding", []string{"eval", "models", "backend", "train"}},
	// Data sets sit below the metrics that read their factors
	// (disentangle may import data, never the reverse).
	{"data", []string{"disentangle", "models", "eval", "train", "backend"}},
	// The command-line conventions know none of latent's commands or
	// libraries: what is latent's comes in through cli.Program.
	{"internal/cli", []string{"cmd/latent", "vae", "serve", "train", "prior", "generate", "score", "features", "export",
		"eval", "rundir", "models", "checkpoints", "data", "embedding", "backend", "pjrtplugin"}},
}

// TestImportRule runs `go list -deps` on each rule's package and fails
// naming the chain of imports that reaches a forbidden package.
func TestImportRule(t *testing.T) {
	root := moduleRoot(t)
	for _, r := range rules {
		graph := importGraph(t, root, r.pkg)
		for _, dep := range slices.Sorted(maps.Keys(graph)) {
			rel, ok := strings.CutPrefix(dep, module+"/")
			if !ok || !forbids(r.forbidden, rel) {
				continue
			}
			t.Errorf("%s must not import %s, but does: %s", r.pkg, rel, chain(graph, module+"/"+r.pkg, dep))
		}
	}
}

// forbids reports whether pkg is one of forbidden or inside one of them.
func forbids(forbidden []string, pkg string) bool {
	return slices.ContainsFunc(forbidden, func(f string) bool { return pkg == f || strings.HasPrefix(pkg, f+"/") })
}

// moduleRoot returns the folder of latent's go.mod.
func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		t.Fatalf("go env GOMOD = %q: not inside latent's module", gomod)
	}
	return filepath.Dir(gomod)
}

// importGraph returns the non-test dependencies of pkg (itself included)
// and the packages each imports, from `go list -deps`.
func importGraph(t *testing.T, root, pkg string) map[string][]string {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./"+pkg)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./%s: %v: %s", pkg, err, stderr.Bytes())
	}
	graph := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) > 0 {
			graph[fields[0]] = fields[1:]
		}
	}
	if _, ok := graph[module+"/"+pkg]; !ok {
		t.Fatalf("go list -deps ./%s does not list %s/%s", pkg, module, pkg)
	}
	return graph
}

// chain returns a shortest chain of imports from one package to another in
// graph, as "a → b → c" with the module prefix dropped.
func chain(graph map[string][]string, from, to string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 && prev[to] == "" && from != to {
		at := queue[0]
		queue = queue[1:]
		for _, next := range graph[at] {
			if _, seen := prev[next]; !seen {
				prev[next] = at
				queue = append(queue, next)
			}
		}
	}
	var path []string
	for at := to; at != ""; at = prev[at] {
		path = append(path, strings.TrimPrefix(at, module+"/"))
	}
	slices.Reverse(path)
	return strings.Join(path, " → ")
}

// TestChain checks the chain a failure names, on a small graph.
func TestChain(t *testing.T) {
	m := func(s string) string { return fmt.Sprintf("%s/%s", module, s) }
	graph := map[string][]string{
		m("prior"):  {m("rundir"), "fmt"},
		m("rundir"): {m("models"), m("train")},
		m("train"):  {m("backend")},
	}
	tests := []struct{ from, to, want string }{
		{"prior", "backend", "prior → rundir → train → backend"},
		{"prior", "rundir", "prior → rundir"},
		{"prior", "prior", "prior"},
	}
	for _, tc := range tests {
		if got := chain(graph, m(tc.from), m(tc.to)); got != tc.want {
			t.Errorf("chain(%s, %s) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
	if !forbids([]string{"backend"}, "backend/nvidia") || forbids([]string{"backend"}, "backends") {
		t.Error("forbids: a subpackage must count, a package sharing a prefix must not")
	}
}
