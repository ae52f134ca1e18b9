package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Params)
		field  string // "" means valid
	}{
		{"defaults", func(p *Params) {}, ""},
		{"utilisation above 1", func(p *Params) { p.TargetUtilization = 1.5 }, "TargetUtilization"},
		{"utilisation NaN", func(p *Params) { p.TargetUtilization = nan() }, "TargetUtilization"},
		{"zero bucket", func(p *Params) { p.BucketWidth = 0 }, "BucketWidth"},
		{"stable shorter than a bucket", func(p *Params) { p.StableWindow = time.Millisecond }, "StableWindow"},
		{"too many buckets", func(p *Params) { p.StableWindow = 2 * time.Hour }, "StableWindow"},
		{"panic longer than stable", func(p *Params) { p.PanicWindow = 2 * time.Minute }, "PanicWindow"},
		{"panic threshold below 1", func(p *Params) { p.PanicThreshold = 0.5 }, "PanicThreshold"},
		{"negative grace", func(p *Params) { p.ScaleToZeroGrace = -time.Second }, "ScaleToZeroGrace"},
		{"up rate 1", func(p *Params) { p.MaxScaleUpRate = 1 }, "MaxScaleUpRate"},
		{"down rate 0", func(p *Params) { p.MaxScaleDownRate = 0 }, "MaxScaleDownRate"},
		{"zero grace is allowed", func(p *Params) { p.ScaleToZeroGrace = 0 }, ""},
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

func nan() float64 {
	zero := 0.0
	return zero / zero
}
