package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/wavelink/wavelink/streams"
)

// Spec describes one function.
type Spec struct {
	// Name is a DNS label: [a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?
	Name string `json:"name"`
	// Package says where the function's code comes from.
	Package Package `json:"package"`
	// Command runs a packaged function: the first element is a path inside
	// the package's root filesystem. Ignored for built-ins.
	Command []string `json:"command,omitempty"`
	// MemoryMB is the memory limit of one instance.
	MemoryMB int `json:"memoryMB"`
	// Concurrency is how many invocations one instance runs at once.
	Concurrency int `json:"concurrency"`
	// Timeout bounds one invocation; past it the invocation is cancelled.
	Timeout Duration `json:"timeout"`
	// MinInstances and MaxInstances bound the regular instances.
	MinInstances int `json:"minInstances"`
	MaxInstances int `json:"maxInstances"`
	// MaxDeliver bounds deliveries of one invocation before it is
	// dead-lettered.
	MaxDeliver int `json:"maxDeliver"`
	// Env is passed to the function's process.
	Env map[string]string `json:"env,omitempty"`
	// Draining is set by Remove: the function takes no new invocations and
	// will be deleted once its queue is empty.
	Draining bool `json:"draining,omitempty"`
}

// Package is exactly one of a built-in function's name, a root filesystem
// folder, or an OCI image layout folder with an optional reference (tag).
type Package struct {
	Builtin string `json:"builtin,omitempty"`
	RootFS  string `json:"rootfs,omitempty"`
	OCI     string `json:"oci,omitempty"`
	Ref     string `json:"ref,omitempty"`
}

// Kind names which kind of package this is: "builtin", "rootfs" or "oci".
func (p Package) Kind() string {
	switch {
	case p.Builtin != "":
		return "builtin"
	case p.RootFS != "":
		return "rootfs"
	case p.OCI != "":
		return "oci"
	}
	return ""
}

func (p Package) String() string {
	switch p.Kind() {
	case "builtin":
		return "builtin:" + p.Builtin
	case "rootfs":
		return "rootfs:" + p.RootFS
	case "oci":
		if p.Ref != "" {
			return "oci:" + p.OCI + ":" + p.Ref
		}
		return "oci:" + p.OCI
	}
	return ""
}

// ParsePackage reads the command-line form of a package: "builtin:echo",
// "rootfs:/path", "oci:/path" or "oci:/path:tag".
func ParsePackage(s string) (Package, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return Package{}, fmt.Errorf("%w: package %q: want builtin:NAME, rootfs:FOLDER or oci:FOLDER[:TAG]", ErrInvalidSpec, s)
	}
	switch kind {
	case "builtin":
		return Package{Builtin: rest}, nil
	case "rootfs":
		return Package{RootFS: rest}, nil
	case "oci":
		if i := strings.LastIndex(rest, ":"); i > 0 && !strings.Contains(rest[i:], "/") {
			return Package{OCI: rest[:i], Ref: rest[i+1:]}, nil
		}
		return Package{OCI: rest}, nil
	}
	return Package{}, fmt.Errorf("%w: package %q: unknown kind %q (want builtin, rootfs or oci)", ErrInvalidSpec, s, kind)
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string, or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"30s\" or a number of seconds", b)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

// Defaults for the fields a spec may leave out.
const (
	DefaultMemoryMB     = 128
	DefaultConcurrency  = 10
	DefaultTimeout      = 30 * time.Second
	DefaultMaxInstances = 10
	DefaultMaxDeliver   = 3
)

// WithDefaults returns the spec with zero fields set to their defaults.
func (s Spec) WithDefaults() Spec {
	if s.MemoryMB == 0 {
		s.MemoryMB = DefaultMemoryMB
	}
	if s.Concurrency == 0 {
		s.Concurrency = DefaultConcurrency
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(DefaultTimeout)
	}
	if s.MaxInstances == 0 {
		s.MaxInstances = max(DefaultMaxInstances, s.MinInstances)
	}
	if s.MaxDeliver == 0 {
		s.MaxDeliver = DefaultMaxDeliver
	}
	return s
}

// Limits on spec fields.
const (
	MaxMemoryMB     = 64 << 10
	MaxConcurrency  = 1000
	MaxTimeout      = 15 * time.Minute
	MaxInstanceCap  = 1000
	MaxDeliverLimit = 100
)

// Validate returns an error wrapping ErrInvalidSpec that names the first bad
// field. It checks the spec as written; call WithDefaults first to accept
// omitted fields.
func (s Spec) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidSpec, field, fmt.Sprintf(format, args...))
	}
	if !streams.ValidFunctionName(s.Name) {
		return bad("name", "%q is not a DNS label (lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)", s.Name)
	}
	n := 0
	for _, v := range []string{s.Package.Builtin, s.Package.RootFS, s.Package.OCI} {
		if v != "" {
			n++
		}
	}
	switch {
	case n == 0:
		return bad("package", "one of builtin, rootfs or oci is required")
	case n > 1:
		return bad("package", "give only one of builtin, rootfs or oci")
	case s.Package.Ref != "" && s.Package.OCI == "":
		return bad("package.ref", "a reference applies to an OCI layout only")
	case s.Package.Builtin != "" && !IsBuiltin(s.Package.Builtin):
		return bad("package.builtin", "unknown built-in %q (have %s)", s.Package.Builtin, strings.Join(BuiltinNames(), ", "))
	case s.Package.Builtin == "" && len(s.Command) == 0:
		return bad("command", "a packaged function needs a command")
	case s.Package.Builtin == "" && s.Command[0] == "":
		return bad("command", "the command's path is empty")
	case s.MemoryMB < 1 || s.MemoryMB > MaxMemoryMB:
		return bad("memoryMB", "must be between 1 and %d, got %d", MaxMemoryMB, s.MemoryMB)
	case s.Concurrency < 1 || s.Concurrency > MaxConcurrency:
		return bad("concurrency", "must be between 1 and %d, got %d", MaxConcurrency, s.Concurrency)
	case s.Timeout.D() < time.Millisecond || s.Timeout.D() > MaxTimeout:
		return bad("timeout", "must be between 1ms and %s, got %s", MaxTimeout, s.Timeout.D())
	case s.MinInstances < 0:
		return bad("minInstances", "must not be negative, got %d", s.MinInstances)
	case s.MaxInstances < 1 || s.MaxInstances > MaxInstanceCap:
		return bad("maxInstances", "must be between 1 and %d, got %d", MaxInstanceCap, s.MaxInstances)
	case s.MinInstances > s.MaxInstances:
		return bad("minInstances", "%d is above maxInstances %d", s.MinInstances, s.MaxInstances)
	case s.MaxDeliver < 1 || s.MaxDeliver > MaxDeliverLimit:
		return bad("maxDeliver", "must be between 1 and %d, got %d", MaxDeliverLimit, s.MaxDeliver)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return bad("env", "bad variable name %q", k)
		}
	}
	return nil
}

// MaxEmergencyInstances is the most emergency instances one function may
// have at once over all nodes, on top of its regular ones: the consumer
// lets that many more instances' worth of invocations be in flight.
const MaxEmergencyInstances = 1000

// ConsumerParams are the parameters of the function's consumer. Its
// MaxAckPending leaves room for the function's regular instances and for
// MaxEmergencyInstances emergency ones, each running Concurrency at once:
// the instances bound what they take by their free slots, the consumer
// only bounds the total.
func (s Spec) ConsumerParams() streams.ConsumerParams {
	return streams.ConsumerParams{
		Function:      s.Name,
		Timeout:       s.Timeout.D(),
		MaxDeliver:    s.MaxDeliver,
		MaxAckPending: s.Concurrency * (s.MaxInstances + MaxEmergencyInstances),
	}
}

// ParseSpec reads a spec from YAML or JSON (JSON is YAML), rejecting unknown
// fields, and fills in defaults. It does not validate.
func ParseSpec(b []byte) (Spec, error) {
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return Spec{}, fmt.Errorf("%w: %v", ErrInvalidSpec, err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("%w: %v", ErrInvalidSpec, err)
	}
	return s.WithDefaults(), nil
}
