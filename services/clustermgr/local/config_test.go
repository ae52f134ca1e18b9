package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/services/clustermgr"
	"github.com/wavelink/wavelink/services/registry"
)

func TestConfigValidate(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := func() Config { return Config{Binary: exe, NATSURL: "nats://127.0.0.1:4222"}.WithDefaults() }
	tests := []struct {
		name      string
		change    func(*Config)
		wantField string // empty: valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"log dir to create", func(c *Config) { c.LogDir = filepath.Join(dir, "new", "logs") }, ""},
		{"no NATS URL", func(c *Config) { c.NATSURL = "" }, "NATSURL"},
		{"NATS URL with space", func(c *Config) { c.NATSURL = "nats://a:1 nats://b:2" }, "NATSURL"},
		{"missing binary", func(c *Config) { c.Binary = filepath.Join(dir, "nope") }, "Binary"},
		{"binary is a folder", func(c *Config) { c.Binary = dir }, "Binary"},
		{"binary not executable", func(c *Config) { c.Binary = plain }, "Binary"},
		{"no binary", func(c *Config) { c.Binary = "" }, "Binary"},
		{"negative start timeout", func(c *Config) { c.StartTimeout = -time.Second }, "StartTimeout"},
		{"no stop grace", func(c *Config) { c.StopGrace = nil }, "StopGrace"},
		{"back-off max below min", func(c *Config) {
			c.RestartBackoff = clustermgr.Backoff{Min: time.Second, Max: time.Millisecond, Reset: time.Second}
		}, "RestartBackoff"},
		{"negative event buffer", func(c *Config) { c.EventBuffer = -1 }, "EventBuffer"},
		{"env without =", func(c *Config) { c.Env = []string{"FOO"} }, "Env"},
		{"env without key", func(c *Config) { c.Env = []string{"=x"} }, "Env"},
		{"log dir is a file", func(c *Config) { c.LogDir = plain }, "LogDir"},
		{"no clock", func(c *Config) { c.Clock = nil }, "Clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.change(&c)
			err := c.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.wantField+":") {
				t.Fatalf("error %q does not name %s", err, tt.wantField)
			}
			if c.WithDefaults().Validate() == nil {
				return // a zero field New fills in
			}
			m, err := New(c)
			if m != nil {
				_ = m.Close(t.Context())
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New() = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestConfigWithDefaults(t *testing.T) {
	c := Config{NATSURL: "nats://x:1"}.WithDefaults()
	exe, _ := os.Executable()
	switch {
	case c.Binary != exe:
		t.Errorf("Binary = %q, want the running executable %q", c.Binary, exe)
	case c.StartTimeout != DefaultStartTimeout:
		t.Errorf("StartTimeout = %s", c.StartTimeout)
	case c.RestartBackoff != DefaultBackoff:
		t.Errorf("RestartBackoff = %+v", c.RestartBackoff)
	case c.EventBuffer != DefaultEventBuffer:
		t.Errorf("EventBuffer = %d", c.EventBuffer)
	case c.Clock == nil || c.StopGrace == nil:
		t.Error("Clock or StopGrace not set")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	kept := Config{StartTimeout: time.Second, EventBuffer: 3, RestartBackoff: clustermgr.Backoff{Min: 1, Max: 2, Reset: 3}}.WithDefaults()
	if kept.StartTimeout != time.Second || kept.EventBuffer != 3 || kept.RestartBackoff.Max != 2 {
		t.Errorf("WithDefaults overwrote set fields: %+v", kept)
	}
}

func TestStopGrace(t *testing.T) {
	tests := []struct {
		name string
		f    func(registry.Spec) time.Duration
		spec registry.Spec
		want time.Duration
	}{
		{"timeout plus margin", DefaultStopGrace, registry.Spec{Timeout: registry.Duration(10 * time.Second)}, 15 * time.Second},
		{"unset timeout uses the registry default", DefaultStopGrace, registry.Spec{}, registry.DefaultTimeout + DefaultGraceMargin},
		{"fixed", FixedGrace(time.Second), registry.Spec{Timeout: registry.Duration(time.Minute)}, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.spec); got != tt.want {
				t.Fatalf("grace = %s, want %s", got, tt.want)
			}
		})
	}
}
