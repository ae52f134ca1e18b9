package registry

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseSpecYAMLAndJSON(t *testing.T) {
	y := `
name: hello
package: {rootfs: /srv/hello}
command: [/bin/hello, --port-from-env]
memoryMB: 256
concurrency: 4
timeout: 5s
minInstances: 1
maxInstances: 3
env: {GREETING: hi}
`
	s, err := ParseSpec([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Timeout.D() != 5*time.Second || s.MaxDeliver != DefaultMaxDeliver || s.Env["GREETING"] != "hi" || s.Package.Kind() != "rootfs" {
		t.Fatalf("parsed %+v", s)
	}
	j := `{"name":"e","package":{"builtin":"echo"},"timeout":2.5}`
	s, err = ParseSpec([]byte(j))
	if err != nil {
		t.Fatal(err)
	}
	if s.Timeout.D() != 2500*time.Millisecond || s.Concurrency != DefaultConcurrency {
		t.Fatalf("parsed %+v", s)
	}
	if _, err := ParseSpec([]byte(`{"name":"e","packge":{}}`)); !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "packge") {
		t.Fatalf("unknown field: err = %v, want ErrInvalidSpec naming it", err)
	}
	if _, err := ParseSpec([]byte(`{"name":"e","timeout":"soon"}`)); !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("bad duration: err = %v", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	base := Spec{Name: "ok", Package: Package{Builtin: "echo"}}.WithDefaults()
	for _, tc := range []struct {
		field string
		mod   func(*Spec)
	}{
		{"name", func(s *Spec) { s.Name = "Bad_Name" }},
		{"name", func(s *Spec) { s.Name = "" }},
		{"package", func(s *Spec) { s.Package = Package{} }},
		{"package", func(s *Spec) { s.Package = Package{Builtin: "echo", RootFS: "/x"} }},
		{"package.builtin", func(s *Spec) { s.Package = Package{Builtin: "nope"} }},
		{"package.ref", func(s *Spec) { s.Package = Package{RootFS: "/x", Ref: "v1"}; s.Command = []string{"/f"} }},
		{"command", func(s *Spec) { s.Package = Package{RootFS: "/x"} }},
		{"memoryMB", func(s *Spec) { s.MemoryMB = -1 }},
		{"concurrency", func(s *Spec) { s.Concurrency = 0 }},
		{"timeout", func(s *Spec) { s.Timeout = Duration(time.Hour) }},
		{"minInstances", func(s *Spec) { s.MinInstances = -1 }},
		{"minInstances", func(s *Spec) { s.MinInstances = 20; s.MaxInstances = 2 }},
		{"maxInstances", func(s *Spec) { s.MaxInstances = 0 }},
		{"maxDeliver", func(s *Spec) { s.MaxDeliver = 0 }},
		{"env", func(s *Spec) { s.Env = map[string]string{"A=B": "x"} }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			s := base
			tc.mod(&s)
			err := s.Validate()
			if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), ": "+tc.field+":") {
				t.Fatalf("Validate() = %v, want ErrInvalidSpec naming %q", err, tc.field)
			}
		})
	}
	if err := base.Validate(); err != nil {
		t.Fatalf("base spec: %v", err)
	}
}

func TestParsePackage(t *testing.T) {
	for in, want := range map[string]Package{
		"builtin:echo":     {Builtin: "echo"},
		"rootfs:/a/b":      {RootFS: "/a/b"},
		"oci:/img":         {OCI: "/img"},
		"oci:/img:v1":      {OCI: "/img", Ref: "v1"},
		"oci:./a:b/c:v2.0": {OCI: "./a:b/c", Ref: "v2.0"},
	} {
		got, err := ParsePackage(in)
		if err != nil || got != want {
			t.Errorf("ParsePackage(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), in)
		}
	}
	for _, in := range []string{"echo", "docker:x", "builtin:"} {
		if _, err := ParsePackage(in); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("ParsePackage(%q) error = %v, want ErrInvalidSpec", in, err)
		}
	}
}
