package policy

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// allowedImports are the only packages the policy's non-test files may use:
// it stays pure so the simulator can run it.
var allowedImports = map[string]bool{
	"errors": true, "fmt": true, "math": true, "slices": true,
	"sort": true, "strconv": true, "strings": true, "time": true,
}

func TestImportsArePure(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			if !allowedImports[path] {
				t.Errorf("%s imports %q: the policy may import only %v", name, path, keys(allowedImports))
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no source files found: the check ran on nothing")
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
