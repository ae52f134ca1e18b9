package docker

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{Image: "wavelink-instance:1", NATSURL: "nats://127.0.0.1:4222"}.WithDefaults()
}

func TestConfigDefaults(t *testing.T) {
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.ID != DefaultID || c.NanoCPUs != DefaultNanoCPUs || c.MaxRestarts != DefaultMaxRestarts ||
		c.StartTimeout != DefaultStartTimeout || c.RestartBackoff != DefaultBackoff || c.EventBuffer != DefaultEventBuffer ||
		c.ParallelStarts != DefaultParallelStarts ||
		c.Readiness != ReadyOnOutput || c.Health != nil {
		t.Fatalf("defaults: %+v", c)
	}
	h := Config{Health: &HealthCheck{Args: []string{"x"}}}.WithDefaults().Health
	if h.Interval != 30*time.Second || h.Timeout != 5*time.Second || h.Retries != 3 {
		t.Fatalf("health defaults: %+v", h)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*Config)
	}{
		{"ID", func(c *Config) { c.ID = "-x" }},
		{"ID", func(c *Config) { c.ID = strings.Repeat("a", 65) }},
		{"Image", func(c *Config) { c.Image = " " }},
		{"Image", func(c *Config) { c.Image = "a b" }},
		{"NATSURL", func(c *Config) { c.NATSURL = "" }},
		{"NATSURL", func(c *Config) { c.NATSURL = "nats://a b" }},
		{"NanoCPUs", func(c *Config) { c.NanoCPUs = -1 }},
		{"MaxRestarts", func(c *Config) { c.MaxRestarts = -1 }},
		{"StartTimeout", func(c *Config) { c.StartTimeout = -time.Second }},
		{"StopGrace", func(c *Config) { c.StopGrace = nil }},
		{"EventBuffer", func(c *Config) { c.EventBuffer = -1 }},
		{"ParallelStarts", func(c *Config) { c.ParallelStarts = -2 }},
		{"Clock", func(c *Config) { c.Clock = nil }},
		{"Readiness", func(c *Config) { c.Readiness = 7 }},
		{"Health", func(c *Config) { c.Readiness = ReadyOnHealth }},
		{"RestartBackoff", func(c *Config) { c.RestartBackoff.Max = time.Nanosecond }},
		{"Env", func(c *Config) { c.Env = []string{"NOEQUALS"} }},
		{"Health.Args", func(c *Config) { c.Health = &HealthCheck{Interval: time.Second, Timeout: time.Second} }},
		{"Health.Interval", func(c *Config) {
			c.Health = &HealthCheck{Args: []string{"x"}, Interval: time.Microsecond, Timeout: time.Second}
		}},
		{"Health.Timeout", func(c *Config) { c.Health = &HealthCheck{Args: []string{"x"}, Interval: time.Second} }},
		{"Health.Retries", func(c *Config) {
			c.Health = &HealthCheck{Args: []string{"x"}, Interval: time.Second, Timeout: time.Second, Retries: -1}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			c := validConfig()
			tc.edit(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("Validate: %v, want ErrInvalidConfig naming %s", err, tc.field)
			}
		})
	}
}

func TestParseReadiness(t *testing.T) {
	for _, r := range []Readiness{ReadyOnOutput, ReadyOnHealth} {
		got, err := ParseReadiness(r.String())
		if err != nil || got != r {
			t.Fatalf("ParseReadiness(%q) = %v, %v", r.String(), got, err)
		}
	}
	if _, err := ParseReadiness("poll"); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("ParseReadiness(poll): %v", err)
	}
}
