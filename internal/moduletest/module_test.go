package moduletest

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

const (
	modPath = "github.com/latent-vae/latent"
	// version is the version the checkout is served as; a fresh module
	// cache per test keeps an earlier run's copy from being reused.
	version = "v0.0.0-moduletest"
)

// TestModuleInstallsAndImports checks that latent is a module others can
// use: its go.mod has no replace or exclude directive (`go install
// pkg@version` refuses either); packed as a module version and served by a
// file:// GOPROXY in front of the usual ones, `go install
// github.com/latent-vae/latent/cmd/latent@version` succeeds; and a module of
// its own holding examples/priorsample, after one `go get
// github.com/latent-vae/latent/...@version` (as docs/library.md says),
// builds with -mod=readonly, links none of upstream go-xla (whose protobuf registrations and C
// symbols would clash with latent's copy), and draws samples from a gmm
// prior that the installed latent fitted to a tiny run.
func TestModuleInstallsAndImports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds latent as a module: not with -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checkGoMod(t, root)

	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	pack(t, root, proxy)
	env := goEnv(t, tmp, proxy)

	// go install …/cmd/latent@version, from no module.
	bin := filepath.Join(tmp, "bin")
	outside := filepath.Join(tmp, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	goRun(t, env, outside, "install", modPath+"/cmd/latent@"+version)
	latent := filepath.Join(bin, "latent")
	if out := run(t, env, outside, latent, "version"); !strings.Contains(out, "latent "+version+"\n") {
		t.Errorf("the installed latent's version: %q, want it to name %s", out, version)
	}

	// A module of its own importing latent: examples/priorsample's program.
	src, err := os.ReadFile(filepath.Join(root, "examples", "priorsample", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(outside, "main.go"), src)
	writeFile(t, filepath.Join(outside, "go.mod"), []byte("module example.com/outside\n\ngo 1.26\n"))
	goRun(t, env, outside, "get", modPath+"/...@"+version)
	sampler := filepath.Join(tmp, "priorsample")
	goRun(t, env, outside, "build", "-mod=readonly", "-o", sampler, ".")
	if deps := goRun(t, env, outside, "version", "-m", sampler); strings.Contains(deps, "github.com/gomlx/go-xla") {
		t.Errorf("the outside program links upstream go-xla beside latent's copy:\n%s", deps)
	}

	// Run it on a tiny run with a gmm prior fitted by the installed latent.
	testenv.XLA(t) // skips without the XLA CPU plugin, fails under CI
	runDir := tinyRun(t, tmp)
	t.Logf("%s", run(t, env, outside, latent, "prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "2", "--backend", "xla:cpu"))
	pngPath := filepath.Join(tmp, "samples.png")
	out := run(t, env, outside, sampler, "--run", runDir, "-n", "4", "-o", pngPath)
	t.Logf("%s", out)
	if !strings.Contains(out, "4 samples of the gmm prior") {
		t.Errorf("priorsample printed %q, want it to draw 4 samples of the gmm prior", out)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("priorsample's output: %v", err)
	}
}

// checkGoMod fails t if root's go.mod has a directive that `go install
// pkg@version` refuses.
func checkGoMod(t *testing.T, root string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Replace {
		t.Errorf("go.mod:%d: replace %s => %s: `go install %s/cmd/latent@version` refuses a module with a replace directive, "+
			"and a module importing latent would need it too", r.Syntax.Start.Line, r.Old.Path, r.New.Path, modPath)
	}
	for _, e := range f.Exclude {
		t.Errorf("go.mod:%d: exclude %s: `go install …@version` refuses a module with an exclude directive", e.Syntax.Start.Line, e.Mod)
	}
}

// pack writes the checkout at root (its tracked files and the untracked
// ones git does not ignore, as they are now) as version of latent into
// the GOPROXY folder proxy.
func pack(t *testing.T, root, proxy string) {
	t.Helper()
	list, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		testenv.Missing(t, "git ls-files in %s: %v", root, err)
	}
	var files []modzip.File
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		fi, err := os.Lstat(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		} else if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().IsRegular() {
			files = append(files, zipFile{root: root, name: filepath.ToSlash(name), info: fi})
		}
	}
	dir := filepath.Join(proxy, modPath, "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	zf, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.Create(zf, module.Version{Path: modPath, Version: version}, files); err != nil {
		t.Fatalf("packing the checkout as %s@%s: %v", modPath, version, err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := json.Marshal(map[string]any{"Version": version, "Time": time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, version+".mod"), mod)
	writeFile(t, filepath.Join(dir, version+".info"), info)
	writeFile(t, filepath.Join(dir, "list"), []byte(version+"\n"))
}

// zipFile is a file of the checkout, for modzip.Create.
type zipFile struct {
	root, name string
	info       os.FileInfo
}

func (f zipFile) Path() string                 { return f.name }
func (f zipFile) Lstat() (os.FileInfo, error)  { return f.info, nil }
func (f zipFile) Open() (io.ReadCloser, error) { return os.Open(filepath.Join(f.root, f.name)) }

// goEnv is the environment of the go commands: GOPROXY serves proxy first,
// then the module cache's downloads (so that nothing already fetched is
// fetched again), then the usual proxies; the module cache and GOBIN are
// fresh folders under tmp; the checksum database is not asked about
// latent, which it has never seen at this version.
func goEnv(t *testing.T, tmp, proxy string) []string {
	t.Helper()
	goenv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	proxies := "file://" + filepath.ToSlash(proxy) + ",file://" + filepath.ToSlash(filepath.Join(goenv("GOMODCACHE"), "cache", "download"))
	if p := goenv("GOPROXY"); p != "" && p != "off" {
		proxies += "," + p
	}
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "GOPROXY", "GOMODCACHE", "GOBIN", "GOFLAGS", "GONOSUMDB", "GOWORK", "GOTOOLCHAIN", "GO111MODULE":
		default:
			env = append(env, kv)
		}
	}
	return append(env,
		"GOPROXY="+proxies,
		"GONOSUMDB="+modPath,
		"GOMODCACHE="+filepath.Join(tmp, "modcache"),
		"GOBIN="+filepath.Join(tmp, "bin"),
		// -modcacherw lets the test's folder be removed; -trimpath keeps the
		// build cache's entries valid from one fresh module cache to the next.
		"GOFLAGS=-mod=mod -modcacherw -trimpath "+goenv("GOFLAGS"),
		"GOWORK=off",
		"GOTOOLCHAIN=local",
	)
}

// goRun runs the go command with args in dir and returns its output,
// failing t if it fails.
func goRun(t *testing.T, env []string, dir string, args ...string) string {
	t.Helper()
	return run(t, env, dir, "go", args...)
}

// run runs name with args in dir and returns its output, failing t if it
// fails.
func run(t *testing.T, env []string, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.String())
	}
	t.Logf("%s %s: %.1fs", filepath.Base(name), strings.Join(args, " "), time.Since(start).Seconds())
	return out.String()
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyRun writes a run folder under tmp: a model of 8×8 grey images with
// a 2-dimensional latent, its variables initialised at random (trained or
// not, a prior can be fitted to it and sampled), on a data folder of 20
// training and 12 test images in IDX files.
func tinyRun(t *testing.T, tmp string) string {
	t.Helper()
	const side, trainN, testN = 8, 20, 12
	dataDir, runDir := filepath.Join(tmp, "data"), filepath.Join(tmp, "run")
	for _, d := range []string{dataDir, runDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	x := uint32(1)
	pixels := func(n int) []byte {
		p := make([]byte, n*side*side)
		for i := range p {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			p[i] = byte(x >> 24)
		}
		return p
	}
	testrun.WriteIDX(t, filepath.Join(dataDir, "train-images-idx3-ubyte"), pixels(trainN), trainN, side, side)
	testrun.WriteIDX(t, filepath.Join(dataDir, "train-labels-idx1-ubyte"), make([]byte, trainN), trainN)
	testrun.WriteIDX(t, filepath.Join(dataDir, "t10k-images-idx3-ubyte"), pixels(testN), testN, side, side)
	testrun.WriteIDX(t, filepath.Join(dataDir, "t10k-labels-idx1-ubyte"), make([]byte, testN), testN)

	cfg := rundir.DefaultConfig()
	cfg.Model.Height, cfg.Model.Width, cfg.Model.Channels = side, side, 1
	cfg.Model.Widths, cfg.Model.Latent = []int{4}, 2
	cfg.Data = rundir.DataConfig{Spec: dataDir, TestFraction: 0.1, SplitSeed: 1}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	if err := models.CreateVariables(testenv.XLA(t), ctx, cfg.Model); err != nil {
		t.Fatal(err)
	}
	if err := rundir.WriteConfig(runDir, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoints.Save(runDir, 0, cfg, ctx, 3); err != nil {
		t.Fatal(err)
	}
	return runDir
}

// TestCopiedVersions: third_party/gomlx holds GoMLX's XLA backend of the
// GoMLX version go.mod requires (a go.mod moved to another version fails
// here until the copy is redone and its PATCH.md names that version), and
// backend.GoXLA, which `latent version` prints, names the go-xla version
// third_party/go-xla/PATCH.md says was copied.
func TestCopiedVersions(t *testing.T) {
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, r := range f.Require {
		if r.Mod.Path == "github.com/gomlx/gomlx" {
			want = r.Mod.Version
		}
	}
	patch, err := os.ReadFile("../../third_party/gomlx/PATCH.md")
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(patch), "\n"); want == "" || !strings.Contains(first, "GoMLX "+want+"'s") {
		t.Errorf("go.mod requires GoMLX %q, third_party/gomlx/PATCH.md begins %q: copy backends/xla of that version again (PATCH.md says how)", want, first)
	}
	patch, err = os.ReadFile("../../third_party/go-xla/PATCH.md")
	if err != nil {
		t.Fatal(err)
	}
	copied, _, _ := strings.Cut(backend.GoXLA, ",")
	if first, _, _ := strings.Cut(string(patch), "\n"); first != "# go-xla "+copied+", patched for latent" {
		t.Errorf("backend.GoXLA is %q, third_party/go-xla/PATCH.md begins %q: want the same version", backend.GoXLA, first)
	}
}

// TestLibraryDocShowsExample: docs/library.md shows examples/priorsample's
// main function as it is, so the program the doc shows is the one
// TestModuleInstallsAndImports builds and runs.
func TestLibraryDocShowsExample(t *testing.T) {
	src, err := os.ReadFile("../../examples/priorsample/main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/library.md")
	if err != nil {
		t.Fatal(err)
	}
	_, main, ok := strings.Cut(string(src), "\nfunc main() {")
	if !ok || !strings.Contains(string(doc), "```go\nfunc main() {"+main+"```\n") {
		t.Error("docs/library.md does not show examples/priorsample/main.go's func main as it is: copy it again")
	}
}
