package wavelet

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	bursts  *prometheus.CounterVec
	spawn   *prometheus.HistogramVec
	retired *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		bursts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "wavelink", Subsystem: "wavelet", Name: "burst_requests_total",
			Help: "Burst requests answered, by outcome (accepted, partial, refused, bad).",
		}, []string{"outcome"}),
		spawn: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "wavelink", Subsystem: "wavelet", Name: "spawn_seconds",
			Help:    "From burst request received to emergency instance pulling, by source (pool or cold).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"source"}),
		retired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "wavelink", Subsystem: "wavelet", Name: "instances_retired_total",
			Help: "Emergency instances that served and retired, by source.",
		}, []string{"source"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.bursts, m.spawn, m.retired} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("wavelet: register metrics: %w", err)
		}
	}
	return m, nil
}
