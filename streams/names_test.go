package streams

import (
	"strings"
	"testing"
)

func TestValidFunctionName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"echo", true},
		{"a", true},
		{"a-b-9", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"-a", false},
		{"a-", false},
		{"A", false},
		{"a.b", false},
		{"a*", false},
		{"a>", false},
		{"a_b", false},
	} {
		if got := ValidFunctionName(tc.name); got != tc.ok {
			t.Errorf("ValidFunctionName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestResultTokenIsOneSafeTokenAndOneToOne(t *testing.T) {
	ids := []string{"abc", "a.b", "a~2eb", "a b", "a>", "*", "", "ü", "a/b", "a~b", "A-_z"}
	seen := map[string]string{}
	for _, id := range ids {
		tok := ResultToken(id)
		if tok == "" || strings.ContainsAny(tok, ". *>\t\r\n") {
			t.Errorf("ResultToken(%q) = %q is not one subject token", id, tok)
		}
		if other, dup := seen[tok]; dup {
			t.Errorf("ResultToken(%q) = ResultToken(%q) = %q", id, other, tok)
		}
		seen[tok] = id
	}
}

func TestFunctionFromSubject(t *testing.T) {
	for subject, want := range map[string]string{
		"wl.invoke.echo":   "echo",
		"wl.arrival.echo":  "echo",
		"wl.done.trace":    "trace",
		"wl.dlq.x":         "x",
		"wl.result.x":      "",
		"wl.invoke.a.b":    "",
		"other.invoke.abc": "",
	} {
		if got := FunctionFromSubject(subject); got != want {
			t.Errorf("FunctionFromSubject(%q) = %q, want %q", subject, got, want)
		}
	}
}
