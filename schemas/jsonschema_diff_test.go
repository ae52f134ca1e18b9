package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Differential tests: WaveLink's validator against the JSON Schema library
// (the reference, jsonschema_reference_test.go) over many documents: valid
// ones, each value replaced by each kind of bad (and good) value, members
// removed and added, pairs of such changes, and raw texts. Both must give
// the same verdict and, when they refuse, the same *FieldError.

// diffBases are valid documents, by schema file.
func diffBases(t testing.TB) map[string][]string {
	status, err := json.Marshal(sampleStatus())
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]string{
		schemaBurst: {
			`{"function":"echo","count":12,"idleTimeoutMs":30000,"maxLifetimeMs":600000,"reason":"backlog 412 > 40"}`,
			`{"function":"a","count":1}`,
		},
		schemaBurstReply: {
			`{"node":"node-1","function":"echo","accepted":2,"refused":"no slots","instances":["echo-e-1","echo-e-2"]}`,
			`{"node":"n","function":"f","accepted":0}`,
		},
		schemaNodeStatus: {
			string(status),
			`{"node":"n","time":"2026-01-02T03:04:05Z","mode":"process","slots":{"total":0,"free":0},"memoryMB":{"total":1,"free":1}}`,
		},
	}
}

// diffValues are the values each value of a base document is replaced by.
func diffValues() []any {
	num := func(s string) any { return json.Number(s) }
	rep := strings.Repeat
	strs := func(n int, s string) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	values := []any{
		nil, true, false, "", " ", "x", "echo", "Echo_1", "a>", "a b", "a*", "a.b", "-a", "a-", "é", "\u00e9cho", "a\tb",
		rep("a", 63), rep("a", 64), rep("n", 253), rep("n", 254), rep("é", 253), rep("é", 254),
		rep("r", 256), rep("r", 257), rep("r", 1024), rep("r", 1025), `quote"and'apostrophe`, "\x00", "\u2028",
		num("0"), num("-0"), num("1"), num("-1"), num("1.0"), num("1.5"), num("-1.5"), num("0.5"), num("2e0"), num("1e2"),
		num("1E3"), num("1e+3"), num("10e-1"), num("1000"), num("1001"), num("999.9999"), num("1000.0000001"),
		num("1e400"), num("-1e400"), num("1e-400"), num("0.5e1"), num("86400000"), num("86400001"), num("1000000"),
		num("1000001"), num("1000000000"), num("1000000001"), num("9223372036854775807"), num("9223372036854775808"),
		num("-9223372036854775808"), num("-9223372036854775809"), num("12345678901234567890123"), num("0.000"),
		"libcontainer", "process", "Process", "vm",
		"2026-01-02T03:04:05Z", "2026-01-02t03:04:05z", "2026-01-02T03:04:05.123456789+01:00", "2026-01-02T23:59:60Z",
		"2026-01-02T22:59:60-01:00", "2026-01-02T00:59:60+01:00", "2026-01-02T03:04:60Z", "2026-13-02T03:04:05Z",
		"2026-02-30T00:00:00Z", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05", "2026-01-02T03:04:05+0100",
		"2026-01-02T24:00:00Z", "2026-01-02T03:60:00Z", "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05+24:00",
		"2026-01-02T03:04:05+01:60", "2026-01-02T03:04:05x01:00", "2026-01-02T03:04:05+01-00", "2026-01-02T+3:04:05Z",
		"2026-01-02T-3:04:05Z", "2026-01-02T03-04:05Z", "+026-01-02T03:04:05Z", "2026-01-02T03:04:05.5", "today",
		"2026-01-02T03:04:05.123Z", "2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05-23:59", "2026-1-02T03:04:05Z",
		[]any{}, []any{""}, []any{"a"}, []any{"a", "b"}, []any{num("1")}, []any{nil}, []any{"a", ""},
		[]any{rep("i", 254)}, strs(1000, "a"), strs(1001, "a"),
		map[string]any{}, map[string]any{"total": num("1"), "free": num("1")}, map[string]any{"total": num("1")},
		map[string]any{"free": num("1")}, map[string]any{"total": num("-1"), "free": num("0")},
		map[string]any{"total": num("1"), "free": num("1"), "used": num("0")}, map[string]any{"echo": num("1")},
		map[string]any{"Not OK": num("1")}, map[string]any{"": num("1")}, map[string]any{"echo": num("-1")},
		map[string]any{"echo": num("1.5")}, map[string]any{"echo": "1"}, map[string]any{"Not OK": num("-1"), "a_": num("2")},
		map[string]any{"a": num("1000001")}, map[string]any{rep("f", 63): num("0"), rep("f", 64): num("0")},
		map[string]any{"x": map[string]any{}},
	}
	return values
}

// diffCase is one document to check, with a name for failures.
type diffCase struct {
	schema, name string
	doc          []byte
}

// diffCorpus builds the documents: each base; each of its values replaced
// by each diffValue, removed when a member, and each object given an
// unknown member; random pairs of these changes; raw texts.
func diffCorpus(t testing.TB) []diffCase {
	var out []diffCase
	add := func(schema, name string, doc any) {
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, diffCase{schema, name, b})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, schema := range schemaNames() {
		for bi, base := range diffBases(t)[schema] {
			doc := mustDecodeJSON(t, []byte(base))
			add(schema, fmt.Sprintf("base %d", bi), doc)
			var edits []jsonEdit
			for _, p := range jsonPaths(doc, nil) {
				for _, v := range diffValues() {
					edits = append(edits, jsonEdit{path: p, value: v})
				}
				if len(p) > 0 {
					if _, ok := p[len(p)-1].(string); ok {
						edits = append(edits, jsonEdit{path: p, remove: true})
					}
				}
				if _, ok := getJSON(doc, p).(map[string]any); ok {
					edits = append(edits, jsonEdit{path: append(clonePath(p), "unknownField"), value: json.Number("1")})
				}
			}
			for _, e := range edits {
				add(schema, fmt.Sprintf("base %d, %v", bi, e), e.apply(cloneJSON(doc)))
			}
			for range 400 {
				e1, e2 := edits[rng.IntN(len(edits))], edits[rng.IntN(len(edits))]
				add(schema, fmt.Sprintf("base %d, %v and %v", bi, e1, e2), e2.apply(e1.apply(cloneJSON(doc))))
			}
		}
		for i, raw := range diffRawTexts() {
			out = append(out, diffCase{schema, fmt.Sprintf("raw %d %q", i, raw), []byte(raw)})
		}
	}
	return out
}

// diffRawTexts are documents that cannot be built by editing a decoded one.
func diffRawTexts() []string {
	return []string{
		``, ` `, `{`, `{"function":`, `[]`, `null`, `0`, `"x"`, `{} {}`, `{}x`, `{}` + "\n", `{"a":1}]`,
		`{"function":"echo","count":-1,"count":1}`, `{"function":"echo","count":1,"count":-1}`,
		`{"\u0066unction":"echo","count":1}`, `{"function":"ech\u006f","count":1}`, `{"function":"echo\ud800","count":1}`,
		"{\"function\":\"ech\xff\",\"count\":1}", "{\"node\":\"n\xff\",\"function\":\"f\",\"accepted\":1}",
		`{"function":"echo","count":1e0}`, `{"function":"echo","count":0.1e1}`, `{"function":"echo","count":1E-0}`,
		`{"function":"echo","count":1e999999}`, `{"function":"echo","count":-1e999999}`,
		`{"function":"echo","count":100000000000000000000000000000000000000000000000000000000000000000000000}`,
		`{"node":"n","function":"f","accepted":1,"instances":["a","",""]}`,
		`{"node":"n","time":"2026-01-02T03:04:05Z","mode":"process","slots":{"total":1,"free":1},"memoryMB":{"total":1,"free":1},"running":{"Not OK":-1,"ok":-2,"B":"x"},"pool":{"a":1.5}}`,
		`{"node":"n","time":"2026-01-02T03:04:05Z","mode":"process","slots":{"total":1,"free":1},"memoryMB":{"total":1,"free":1},"running":{"a":1},"running":{"B":1}}`,
	}
}

func TestValidatorMatchesReference(t *testing.T) {
	all, err := loadSchemas()
	mustNoErr(t, err)
	refused := map[string]int{}
	accepted := map[string]int{}
	for _, tc := range diffCorpus(t) {
		got := checkSchema(all[tc.schema], "data", tc.doc)
		want := referenceCheck(t, tc.schema, "data", tc.doc)
		if !sameError(got, want) {
			t.Errorf("%s, %s:\ndocument %.300s\nvalidator %v\nreference %v", tc.schema, tc.name, tc.doc, got, want)
			continue
		}
		if got == nil {
			accepted[tc.schema]++
		} else {
			refused[tc.schema]++
		}
	}
	for _, name := range schemaNames() {
		t.Logf("%s: %d accepted, %d refused, same errors", name, accepted[name], refused[name])
		if accepted[name] < 20 || refused[name] < 200 {
			t.Errorf("%s: the corpus has too few accepted (%d) or refused (%d) documents", name, accepted[name], refused[name])
		}
	}
}

// hugeExponent matches a number literal whose exponent the library cannot
// read (math/big refuses exponents beyond a million): it then calls the
// number no integer, where WaveLink's validator compares it exactly.
var hugeExponent = regexp.MustCompile(`[0-9][eE][-+]?0*[1-9][0-9]{6,}`)

// longNumber matches a number written with more than maxShownDigits
// digits: the library's message writes a number in full, WaveLink's
// validator writes such a number's literal instead.
var longNumber = regexp.MustCompile(`[0-9]{1000}[0-9]`)

// sameError compares a validator's error with the reference's: the same
// field and problem, or only the same field when the reference's problem
// writes out a long number.
func sameError(got, want error) bool {
	var fe *FieldError
	return sameFieldError(got, want, errors.As(want, &fe) && longNumber.MatchString(fe.Problem))
}

// FuzzValidatorMatchesReference checks random documents against each
// schema with both validators: same verdict, same error.
func FuzzValidatorMatchesReference(f *testing.F) {
	for i, name := range schemaNames() {
		for _, doc := range diffBases(f)[name] {
			f.Add(uint8(i), []byte(doc))
		}
		for _, doc := range diffRawTexts() {
			f.Add(uint8(i), []byte(doc))
		}
	}
	all, err := loadSchemas()
	if err != nil {
		f.Fatal(err)
	}
	names := schemaNames()
	f.Fuzz(func(t *testing.T, which uint8, doc []byte) {
		if hugeExponent.Match(doc) {
			t.Skip("a number the library cannot read")
		}
		name := names[int(which)%len(names)]
		got := checkSchema(all[name], "data", doc)
		want := referenceCheck(t, name, "data", doc)
		if !sameError(got, want) {
			t.Fatalf("%s:\ndocument %q\nvalidator %v\nreference %v", name, doc, got, want)
		}
	})
}

// sameFieldError reports whether a and b are both nil or both *FieldErrors
// with the same field and problem (the same field only, when fieldOnly).
func sameFieldError(a, b error, fieldOnly bool) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var fa, fb *FieldError
	if !errors.As(a, &fa) || !errors.As(b, &fb) {
		return false
	}
	return fa.Field == fb.Field && (fieldOnly || fa.Problem == fb.Problem)
}

// jsonEdit replaces (or removes) the value at path in a decoded document.
type jsonEdit struct {
	path   []any // string keys and int indexes
	value  any
	remove bool
}

func (e jsonEdit) String() string {
	if e.remove {
		return fmt.Sprintf("remove %v", e.path)
	}
	v, _ := json.Marshal(e.value)
	return fmt.Sprintf("%v = %.60s", e.path, v)
}

// apply edits doc in place and returns it (a new root for an empty path).
func (e jsonEdit) apply(doc any) any {
	if len(e.path) == 0 {
		return e.value
	}
	parent := getJSON(doc, e.path[:len(e.path)-1])
	switch p := parent.(type) {
	case map[string]any:
		k, _ := e.path[len(e.path)-1].(string)
		if e.remove {
			delete(p, k)
		} else {
			p[k] = e.value
		}
	case []any:
		if i, ok := e.path[len(e.path)-1].(int); ok && i < len(p) {
			p[i] = e.value
		}
	}
	return doc
}

// getJSON returns the value at path, or nil when there is none.
func getJSON(doc any, path []any) any {
	for _, step := range path {
		switch d := doc.(type) {
		case map[string]any:
			k, _ := step.(string)
			doc = d[k]
		case []any:
			i, ok := step.(int)
			if !ok || i >= len(d) {
				return nil
			}
			doc = d[i]
		default:
			return nil
		}
	}
	return doc
}

// jsonPaths lists the path of every value in doc, the root first.
func jsonPaths(doc any, at []any) [][]any {
	out := [][]any{clonePath(at)}
	switch d := doc.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(d)) {
			out = append(out, jsonPaths(d[k], append(clonePath(at), k))...)
		}
	case []any:
		for i, v := range d {
			out = append(out, jsonPaths(v, append(clonePath(at), i))...)
		}
	}
	return out
}

func clonePath(p []any) []any { return append([]any(nil), p...) }

// cloneJSON deep-copies a decoded document.
func cloneJSON(doc any) any {
	switch d := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(d))
		for k, v := range d {
			out[k] = cloneJSON(v)
		}
		return out
	case []any:
		out := make([]any, len(d))
		for i, v := range d {
			out[i] = cloneJSON(v)
		}
		return out
	}
	return doc
}

func mustDecodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return doc
}

// TestSchemaValidatorIsWaveLinks checks that the package itself, outside
// its tests, does not import the JSON Schema library or golang.org/x/text,
// so the library's start-up cost stays out of every binary.
func TestSchemaValidatorIsWaveLinks(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	mustNoErr(t, err)
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/santhosh-tekuri/") || strings.HasPrefix(imp, "golang.org/x/text") {
			t.Errorf("schemas imports %s outside its tests", imp)
		}
	}
	if len(pkg.Imports) == 0 {
		t.Fatal("no imports found: the check reads nothing")
	}
}
