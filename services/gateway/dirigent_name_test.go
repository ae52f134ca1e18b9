package gateway

import (
	"errors"
	"strings"
	"testing"

	"github.com/wavelink/wavelink/streams"
)

func TestDirigentFunctionName(t *testing.T) {
	long := strings.Repeat("Ab_", 40) // 120 bytes
	tests := []struct {
		name       string
		want       string // exact, when set
		wantPrefix string // the readable part, when the name is rewritten
	}{
		{name: "trace-func-0-3870713592478744390", want: "trace-func-0-3870713592478744390"},
		{name: "echo", want: "echo"},
		{name: "a", want: "a"},
		{name: "Trace-Func-0", wantPrefix: "trace-func-0-"},
		{name: "trace_func.0", wantPrefix: "trace-func-0-"},
		{name: "__x__", wantPrefix: "x-"},
		{name: "-lead", wantPrefix: "lead-"},
		{name: "trail-", wantPrefix: "trail-"},
		{name: "a--b", want: "a--b"},
		{name: "a__b", wantPrefix: "a-b-"},
		{name: "___", wantPrefix: "fn-"},
		{name: long, wantPrefix: "ab-ab-"},
		{name: strings.Repeat("a", 64), wantPrefix: strings.Repeat("a", 54) + "-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DirigentFunctionName(tc.name)
			if err != nil {
				t.Fatalf("DirigentFunctionName(%q): %v", tc.name, err)
			}
			if !streams.ValidFunctionName(got) {
				t.Errorf("DirigentFunctionName(%q) = %q, not a function name", tc.name, got)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("DirigentFunctionName(%q) = %q, want %q", tc.name, got, tc.want)
			}
			if tc.wantPrefix != "" {
				if !strings.HasPrefix(got, tc.wantPrefix) || !hasHashSuffix(got) {
					t.Errorf("DirigentFunctionName(%q) = %q, want %q and a hash", tc.name, got, tc.wantPrefix)
				}
			}
			again, _ := DirigentFunctionName(tc.name)
			if again != got {
				t.Errorf("not deterministic: %q then %q", got, again)
			}
		})
	}
}

func TestDirigentFunctionNamesDoNotCollide(t *testing.T) {
	names := []string{"Fn_A", "fn_a", "fn.a", "FN-A", "fn--a", "fn-a-"}
	seen := map[string]string{}
	for _, n := range names {
		got, err := DirigentFunctionName(n)
		if err != nil {
			t.Fatalf("%q: %v", n, err)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("%q and %q both map to %q", n, other, got)
		}
		seen[got] = n
	}
}

func TestDirigentFunctionNameRejects(t *testing.T) {
	tests := []struct{ name, wantIn string }{
		{"", "empty"},
		{strings.Repeat("A", MaxDirigentNameLength+1), "more than"},
		{"fn name", "' '"},
		{"fn/x", "'/'"},
		{"fn:80x", "':'"},
		{"fné", "byte 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DirigentFunctionName(tc.name)
			if !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), tc.wantIn) {
				t.Errorf("DirigentFunctionName(%q) error %v, want ErrInvalidName mentioning %q", tc.name, err, tc.wantIn)
			}
		})
	}
}

func TestHostFunctionName(t *testing.T) {
	tests := []struct{ host, want string }{
		{"trace-func-0-1", "trace-func-0-1"},
		{"trace-func-0-1:80", "trace-func-0-1"},
		{"fn:", "fn"},
		{"fn:x", "fn:x"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := hostFunctionName(tc.host); got != tc.want {
			t.Errorf("hostFunctionName(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
}

// hasHashSuffix reports whether name ends with '-' and dirigentHashLength
// hex digits.
func hasHashSuffix(name string) bool {
	n := len(name) - dirigentHashLength
	if n < 1 || name[n-1] != '-' {
		return false
	}
	for _, c := range name[n:] {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
