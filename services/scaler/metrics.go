package scaler

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the scaler's Prometheus collectors.
type metrics struct {
	desired     *prometheus.GaugeVec
	ready       *prometheus.GaugeVec
	panicking   *prometheus.GaugeVec
	scaleErrors *prometheus.CounterVec
	pokes       prometheus.Counter
	grows       prometheus.Counter
	tick        prometheus.Histogram

	// The expedited track.
	burstRequests *prometheus.CounterVec
	burstAsked    *prometheus.CounterVec
	burstAccepted *prometheus.CounterVec
	burstRefused  *prometheus.CounterVec
	burstFailures *prometheus.CounterVec
	fallbacks     *prometheus.CounterVec
	emergency     *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		desired: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "wavelink", Subsystem: "scaler", Name: "desired_instances",
			Help: "Regular instances the scaler wants for the function.",
		}, []string{"function"}),
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "wavelink", Subsystem: "scaler", Name: "ready_instances",
			Help: "Regular instances of the function ready to pull, as the cluster manager reports.",
		}, []string{"function"}),
		panicking: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "wavelink", Subsystem: "scaler", Name: "panic_mode",
			Help: "1 while the function is in panic mode, else 0.",
		}, []string{"function"}),
		scaleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "wavelink", Subsystem: "scaler", Name: "scale_errors_total",
			Help: "Scale requests the cluster manager refused or failed.",
		}, []string{"function"}),
		pokes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "wavelink", Subsystem: "scaler", Name: "pokes_total",
			Help: "Functions scaled from zero by an arrival, between ticks.",
		}),
		grows: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "wavelink", Subsystem: "scaler", Name: "sync_scale_ups_total",
			Help: "Scale-ups for arrivals that found no free regular instance, between ticks (sync mode).",
		}),
		tick: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "wavelink", Subsystem: "scaler", Name: "tick_seconds",
			Help:    "Duration of one tick over every function.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		burstRequests: counterVec("burst_requests_total", "Burst requests sent to Wavelets for the function."),
		burstAsked:    counterVec("burst_instances_asked_total", "Emergency instances of the function asked of Wavelets."),
		burstAccepted: counterVec("burst_instances_accepted_total", "Emergency instances of the function Wavelets accepted to start."),
		burstRefused: counterVec("burst_instances_refused_total",
			"Emergency instances of the function asked for and not accepted: refused, or the request failed."),
		burstFailures: counterVec("burst_failures_total", "Burst requests for the function that got no usable reply."),
		fallbacks: counterVec("burst_fallbacks_total",
			"Times a burst of the function fit on no Wavelet and the regular track took its work."),
		emergency: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "wavelink", Subsystem: "scaler", Name: "emergency_instances",
			Help: "Emergency instances of the function running or starting, as the Wavelets last reported.",
		}, []string{"function"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{
		m.desired, m.ready, m.panicking, m.scaleErrors, m.pokes, m.grows, m.tick,
		m.burstRequests, m.burstAsked, m.burstAccepted, m.burstRefused, m.burstFailures, m.fallbacks, m.emergency,
	} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("scaler: metrics already registered (one Scaler per registry): %w", err)
			}
			return nil, fmt.Errorf("scaler: register metrics: %w", err)
		}
	}
	return m, nil
}

// counterVec is a scaler counter per function.
func counterVec(name, help string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "wavelink", Subsystem: "scaler", Name: name, Help: help,
	}, []string{"function"})
}

// gauges are one function's series, looked up once.
type gauges struct {
	desired, ready, panicking, emergency prometheus.Gauge
}

func (m *metrics) forFunction(fn string) gauges {
	return gauges{
		desired:   m.desired.WithLabelValues(fn),
		ready:     m.ready.WithLabelValues(fn),
		panicking: m.panicking.WithLabelValues(fn),
		emergency: m.emergency.WithLabelValues(fn),
	}
}

// forget drops a removed function's series.
func (m *metrics) forget(fn string) {
	m.desired.DeleteLabelValues(fn)
	m.ready.DeleteLabelValues(fn)
	m.panicking.DeleteLabelValues(fn)
	m.scaleErrors.DeleteLabelValues(fn)
	m.emergency.DeleteLabelValues(fn)
	for _, c := range []*prometheus.CounterVec{m.burstRequests, m.burstAsked, m.burstAccepted, m.burstRefused, m.burstFailures, m.fallbacks} {
		c.DeleteLabelValues(fn)
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
