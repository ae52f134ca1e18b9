package expedite

import (
	"errors"
	"strings"
	"testing"
)

func TestBurst(t *testing.T) {
	p := DefaultParams()
	p.MaxPerRequest = 8
	d := func(out, conc, regular, emergency int) Demand {
		return Demand{Outstanding: out, Concurrency: conc, MaxInstances: 100, Regular: regular, Emergency: emergency}
	}
	tests := []struct {
		name string
		d    Demand
		want int
	}{
		{"nothing outstanding", d(0, 1, 0, 0), 0},
		{"first arrival at zero", d(1, 1, 0, 0), 1},
		{"rounded up in instances", d(11, 10, 0, 0), 2},
		{"regular capacity absorbs it", d(10, 10, 1, 0), 0},
		{"one past the regular capacity", d(11, 10, 1, 0), 1},
		{"instances asked for count at once", d(5, 1, 0, 5), 0},
		{"the next arrival of the same burst asks for one more", d(6, 1, 0, 5), 1},
		{"emergency and regular add up", d(30, 10, 1, 1), 1},
		{"more than needed asks for nothing", d(3, 1, 2, 4), 0},
		{"bounded per request", d(500, 1, 0, 0), 8},
		{"bounded by the function's max instances", d(500, 1, 0, 0), 8},
		{"max instances already reached", Demand{Outstanding: 50, Concurrency: 1, MaxInstances: 4, Regular: 2, Emergency: 2}, 0},
		{"max instances leaves room for one", Demand{Outstanding: 50, Concurrency: 1, MaxInstances: 4, Regular: 2, Emergency: 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Burst(p, tc.d)
			if err != nil || got != tc.want {
				t.Fatalf("Burst(%+v) = %d, %v; want %d", tc.d, got, err, tc.want)
			}
		})
	}
}

func TestBurstRejectsBadInput(t *testing.T) {
	ok := Demand{Outstanding: 1, Concurrency: 1, MaxInstances: 1}
	tests := []struct {
		name  string
		p     Params
		d     Demand
		want  error
		field string
	}{
		{"negative outstanding", DefaultParams(), Demand{Outstanding: -1, Concurrency: 1, MaxInstances: 1}, ErrInvalidDemand, "Outstanding"},
		{"zero concurrency", DefaultParams(), Demand{Outstanding: 1, MaxInstances: 1}, ErrInvalidDemand, "Concurrency"},
		{"zero max", DefaultParams(), Demand{Outstanding: 1, Concurrency: 1}, ErrInvalidDemand, "MaxInstances"},
		{"negative regular", DefaultParams(), Demand{Concurrency: 1, MaxInstances: 1, Regular: -1}, ErrInvalidDemand, "Regular"},
		{"negative emergency", DefaultParams(), Demand{Concurrency: 1, MaxInstances: 1, Emergency: -2}, ErrInvalidDemand, "Emergency"},
		{"zero params", Params{}, ok, ErrInvalidParams, "MaxPerRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Burst(tc.p, tc.d)
			if n != 0 || !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Burst = %d, %v; want %v naming %s", n, err, tc.want, tc.field)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Params)
		field  string // "" means valid
	}{
		{"defaults", func(*Params) {}, ""},
		{"no instances per request", func(p *Params) { p.MaxPerRequest = 0 }, "MaxPerRequest"},
		{"more per request than a request may carry", func(p *Params) { p.MaxPerRequest = MaxRequestCount + 1 }, "MaxPerRequest"},
		{"zero threshold", func(p *Params) { p.RareAfter = 0 }, "RareAfter"},
		{"lookback too short", func(p *Params) { p.RareLookback = 10 * 1e6 }, "RareLookback"},
		{"lookback below the threshold", func(p *Params) { p.RareLookback = p.RareAfter / 2 }, "RareLookback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.change(&p)
			err := p.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid params rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidParams) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %v, want ErrInvalidParams naming %s", err, tc.field)
			}
		})
	}
}
