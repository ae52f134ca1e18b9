package layering

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/wavelink/wavelink/"

// rule is what one package (and, with tree, every package below it) may not
// import, or, with only set, the complete list of what it may import.
type rule struct {
	dir    string
	tree   bool
	forbid []string // module-relative or external path prefixes
	except []string // exact module-relative paths allowed despite forbid
	only   []string // exact standard-library paths; nothing else allowed
}

var rules = []rule{
	// Every process starts with the binary's package inits: a JSON Schema
	// library compiling its metaschemas cost each instance 3.5 ms.
	{dir: "internal/elfdeps", only: []string{"debug/elf", "fmt", "os", "path/filepath", "slices"}},
	{dir: "schemas", forbid: []string{"streams", "services", "wavelet", "github.com/santhosh-tekuri", "golang.org/x/text"}},
	{dir: "streams", tree: true, forbid: []string{"services", "wavelet", "loadgen"}},
	{dir: "services/registry", forbid: []string{"services/gateway", "services/scaler", "services/instance", "services/clustermgr", "wavelet"}},
	{dir: "services/clustermgr", tree: true, forbid: []string{"services/scaler", "services/gateway", "services/instance", "wavelet"}},
	{dir: "services/gateway", forbid: []string{"services/scaler", "services/instance", "services/clustermgr", "wavelet"}},
	{dir: "services/instance", tree: true, forbid: []string{"services/scaler", "services/gateway", "services/clustermgr", "wavelet"}},
	{dir: "services/instance/bundle", forbid: []string{"github.com/nats-io", "streams", "schemas"}},
	{dir: "services/instance/builtin", forbid: []string{"github.com/nats-io", "streams", "schemas", "services"}},
	{dir: "services/instance/confine", forbid: []string{"github.com/nats-io", "github.com/rs/zerolog", "streams", "schemas", "services"}},
	{dir: "services/scaler", forbid: []string{"services/gateway", "services/instance", "services/clustermgr/", "wavelet"}},
	{dir: "services/scaler/policy", only: []string{"errors", "fmt", "math", "slices", "sort", "strconv", "strings", "time"}},
	{dir: "services/scaler/expedite", only: []string{"cmp", "errors", "fmt", "math", "slices", "sort", "strconv", "strings", "time"}},
	{dir: "loadgen", forbid: []string{"services", "wavelet"}},
	// The Wavelet starts instances as processes; of the instance runtime it
	// uses only the package that prepares root filesystems.
	{dir: "wavelet", forbid: []string{"services/scaler", "services/gateway", "services/clustermgr", "services/instance"},
		except: []string{"services/instance/bundle"}},
	{dir: "wavelet/sandbox", forbid: []string{"github.com/nats-io", "streams", "schemas", "services", "wavelet/"}},
	{dir: "wavelet/poolpolicy", only: []string{"errors", "fmt", "slices", "sort", "time"}},
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", dir, err)
	}
	return dir
}

// imports returns the imports of each non-test Go file in dir.
func imports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[name] = append(out[name], p)
		}
	}
	return out
}

func matches(path, prefix string) bool {
	if !strings.Contains(prefix, ".") { // module-relative
		prefix = module + prefix
	}
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func TestPackagesKeepTheirLayer(t *testing.T) {
	top := root(t)
	for _, r := range rules {
		t.Run(r.dir, func(t *testing.T) {
			dirs := []string{filepath.Join(top, r.dir)}
			if r.tree {
				dirs = nil
				err := filepath.WalkDir(filepath.Join(top, r.dir), func(p string, d os.DirEntry, err error) error {
					if err != nil {
						return err
					}
					if d.IsDir() && d.Name() != "testdata" {
						dirs = append(dirs, p)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			checked := 0
			for _, dir := range dirs {
				for file, paths := range imports(t, dir) {
					checked++
					rel, _ := filepath.Rel(top, file)
					for _, p := range paths {
						if r.only != nil {
							allowed := false
							for _, ok := range r.only {
								allowed = allowed || p == ok
							}
							if !allowed {
								t.Errorf("%s imports %s; %s may import only %v", rel, p, r.dir, r.only)
							}
							continue
						}
						for _, bad := range r.forbid {
							if matches(p, bad) && !slices.Contains(r.except, strings.TrimPrefix(p, module)) {
								t.Errorf("%s imports %s, which %s must never import", rel, p, r.dir)
							}
						}
					}
				}
			}
			if checked == 0 {
				t.Fatalf("no Go files under %s: the rule is stale", r.dir)
			}
		})
	}
}

// The rules above must be able to fail.
func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		path, prefix string
		want         bool
	}{
		{module + "services/scaler", "services/scaler", true},
		{module + "services/scaler/policy", "services/scaler", true},
		{module + "services/scalerx", "services/scaler", false},
		{module + "services/clustermgr", "services/clustermgr/", false},
		{module + "services/clustermgr/local", "services/clustermgr/", true},
		{"github.com/nats-io/nats.go", "github.com/nats-io", true},
	} {
		if got := matches(tc.path, tc.prefix); got != tc.want {
			t.Errorf("matches(%q, %q) = %v, want %v", tc.path, tc.prefix, got, tc.want)
		}
	}
}
