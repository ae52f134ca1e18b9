package instance

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Function: "echo", ID: "i-1", Track: TrackRegular}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string // "" for valid
	}{
		{"regular", func(*Config) {}, ""},
		{"emergency", func(c *Config) { c.Track = TrackEmergency }, ""},
		{"bad function", func(c *Config) { c.Function = "Echo_1" }, "function"},
		{"no function", func(c *Config) { c.Function = "" }, "function"},
		{"no id", func(c *Config) { c.ID = "" }, "id"},
		{"no track", func(c *Config) { c.Track = "" }, "track"},
		{"unknown track", func(c *Config) { c.Track = "fast" }, "track"},
		{"emergency retiring", func(c *Config) {
			c.Track, c.IdleExit, c.MaxLifetime, c.RootFS = TrackEmergency, time.Second, time.Minute, "/"
		}, ""},
		{"regular retiring", func(c *Config) { c.IdleExit, c.MaxLifetime = time.Minute, time.Hour }, ""},
		{"negative idle exit", func(c *Config) { c.IdleExit = -time.Second }, "idleExit"},
		{"negative max lifetime", func(c *Config) { c.MaxLifetime = -time.Nanosecond }, "maxLifetime"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("Validate: %v, want ErrInvalidConfig naming %s", err, tc.field)
			}
		})
	}
}
