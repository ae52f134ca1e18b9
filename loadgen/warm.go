package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
// closed-loop throughput phase with InFlight requests outstanding, then
// one-at-a-time requests for latency. Every answer must be 200.
func MeasureWarm(ctx context.Context, cfg WarmConfig) (Figures, error) {
	client := NewHTTPClient(cfg.InFlight)
	defer client.CloseIdleConnections()
	url := strings.TrimRight(cfg.Gateway, "/") + "/functions/" + cfg.Function
	payload := bytes.Repeat([]byte("x"), cfg.PayloadBytes)
	call := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", resp.Status, body)
		}
		if len(body) != len(payload) {
			return fmt.Errorf("echo answered %d bytes for %d", len(body), len(payload))
		}
		return nil
	}
	return drive(ctx, "gateway "+cfg.Function+" (warm)", cfg.InFlight, cfg.Duration, cfg.Serial, call)
}
