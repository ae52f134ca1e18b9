package builtin_test

import (
	"slices"
	"testing"

	"github.com/wavelink/wavelink/services/instance/builtin"
	"github.com/wavelink/wavelink/services/registry"
)

func TestLookup(t *testing.T) {
	if got, want := builtin.Names(), registry.BuiltinNames(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, registry knows %v", got, want)
	}
	for _, name := range builtin.Names() {
		t.Run(name, func(t *testing.T) {
			h, ok := builtin.Lookup(name)
			if !ok || h == nil {
				t.Fatalf("Lookup(%q) = %v, %v", name, h, ok)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		if h, ok := builtin.Lookup("nope"); ok || h != nil {
			t.Fatalf("Lookup(nope) = %v, %v; want nil, false", h, ok)
		}
	})
}
