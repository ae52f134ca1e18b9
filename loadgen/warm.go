package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// WarmConfig sizes the warm-invocation measurement through the gateway.
type WarmConfig struct {
	Gateway      string // base URL, e.g. http://127.0.0.1:8080
	Function     string
	InFlight     int
	Duration     time.Duration
	Serial       int
	PayloadBytes int
}

// NewHTTPClient returns a client that keeps one idle connection per worker.
func NewHTTPClient(conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns * 2
	tr.MaxIdleConnsPerHost = conns * 2
	return &http.Client{Transport: tr}
}

// MeasureWarm invokes the function synchronously through the gateway: a
// closed-loop throughput phase with InFlight requests outstanding, each
// worker on its own keep-alive connection, then one-at-a-time requests for
// latency. Every answer must be 200 with the payload echoed back.
func MeasureWarm(ctx context.Context, cfg WarmConfig) (Figures, error) {
	url := strings.TrimRight(cfg.Gateway, "/") + "/functions/" + cfg.Function
	payload := bytes.Repeat([]byte("x"), cfg.PayloadBytes)
	if _, err := newRawPost(url, payload); err != nil {
		return Figures{}, err
	}
	newCall := func() (func(context.Context) error, func()) {
		c, _ := newRawPost(url, payload, "Content-Type: application/octet-stream")
		call := func(ctx context.Context) error {
			status, n, err := c.do(ctx)
			switch {
			case err != nil:
				return err
			case status != 200:
				return fmt.Errorf("%s answered %d", url, status)
			case n != len(payload):
				return fmt.Errorf("%s answered %d bytes for %d", url, n, len(payload))
			}
			return nil
		}
		return call, c.close
	}
	return drive(ctx, "gateway "+cfg.Function+" (warm)", cfg.InFlight, cfg.Duration, cfg.Serial, newCall)
}
