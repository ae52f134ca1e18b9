package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
)

// ChaosConfig sizes the no-loss run.
type ChaosConfig struct {
	Platform *Platform
	// Function to invoke asynchronously; it must exist in the platform
	// (`trace` is deployed by `wavelink up`).
	Function string
	// Header is sent with every invocation (e.g. requested_cpu for trace).
	Header http.Header
	// Invocations is how many distinct invocations to send.
	Invocations int
	// Rate is invocations sent per second.
	Rate float64
	// ResultWait bounds the wait for all results after the last send.
	ResultWait time.Duration
	// RunID prefixes every CloudEvent id, so runs on one data folder do
	// not collide in the dedup window.
	RunID string
	Log   io.Writer
}

// ChaosReport counts what happened to the accepted invocations.
type ChaosReport struct {
	Sent, Accepted int
	// Retried counts sends repeated with the same id after the platform did
	// not answer (it was being killed); each accepted id counts once.
	Retried int
	// Answered counts accepted ids with a stored result.
	Answered int
	// Lost counts accepted ids with no result after ResultWait.
	Lost int
	// Duplicated counts ids whose result was published more than once
	// (the invocation ran again after a crash); the stored result is still
	// one per id.
	Duplicated int
	// ResultsSeen counts result publications observed on wl.result.> (a
	// lower bound: publications during the platform's restart are missed).
	ResultsSeen     int
	InstancesKilled int
	Restarts        int
	Elapsed         time.Duration
	Failures        map[string]int // non-ok outcomes by ce-wloutcome
}

func (r ChaosReport) String() string {
	return fmt.Sprintf("sent %d, accepted %d (retried %d), answered %d, duplicated %d, lost %d; instances SIGKILLed %d, platform restarts %d, elapsed %s, failures %v",
		r.Sent, r.Accepted, r.Retried, r.Answered, r.Duplicated, r.Lost, r.InstancesKilled, r.Restarts, r.Elapsed.Round(time.Millisecond), r.Failures)
}

// RunChaos sends async invocations at a steady rate; a third of the way
// through it SIGKILLs every regular instance; two thirds of the way through
// it SIGKILLs the platform and starts it again on the same data folder. It
// then waits for one result per accepted invocation. The platform must be
// started already.
func RunChaos(ctx context.Context, cfg ChaosConfig) (ChaosReport, error) {
	start := time.Now()
	rep := ChaosReport{Failures: map[string]int{}}
	p := cfg.Platform
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "chaos: "+format+"\n", args...)
		}
	}

	// Observe result publications to count re-runs.
	seen := map[string]int{}
	var seenMu sync.Mutex
	nc, err := nats.Connect(p.NATSURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		return rep, fmt.Errorf("chaos: connect to %s: %w", p.NATSURL(), err)
	}
	defer nc.Close()
	if _, err := nc.Subscribe("wl.result.>", func(m *nats.Msg) {
		seenMu.Lock()
		seen[m.Header.Get("ce-wlinvocation")]++
		seenMu.Unlock()
	}); err != nil {
		return rep, err
	}

	client := NewHTTPClient(4)
	client.Timeout = 5 * time.Second
	url := p.GatewayURL() + "/functions/" + cfg.Function
	accepted := make([]string, 0, cfg.Invocations)
	send := func(id string) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(id)))
		if err != nil {
			return false, err
		}
		for k, v := range cfg.Header {
			req.Header[k] = v
		}
		req.Header.Set("Prefer", "respond-async")
		req.Header.Set("ce-id", id)
		resp, err := client.Do(req)
		if err != nil {
			return false, nil // the platform is down: try again
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusAccepted:
			return true, nil
		case http.StatusServiceUnavailable, http.StatusBadGateway:
			return false, nil
		}
		return false, fmt.Errorf("chaos: invocation %s answered %s: %s", id, resp.Status, body)
	}

	interval := time.Duration(float64(time.Second) / cfg.Rate)
	next := time.Now()
	for i := 0; i < cfg.Invocations; i++ {
		switch i {
		case cfg.Invocations / 3:
			pids := p.Instances()
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			rep.InstancesKilled += len(pids)
			logf("SIGKILLed %d regular instances after %d invocations", len(pids), i)
		case 2 * cfg.Invocations / 3:
			logf("SIGKILL the platform after %d invocations", i)
			p.Kill()
			if err := p.Start(ctx); err != nil {
				return rep, fmt.Errorf("chaos: restart: %w", err)
			}
			rep.Restarts++
			logf("platform restarted on %s", p.DataDir)
		}
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		next = next.Add(interval)
		id := cfg.RunID + "-" + strconv.Itoa(i)
		rep.Sent++
		for attempt := 0; ; attempt++ {
			ok, err := send(id)
			if err != nil {
				return rep, err
			}
			if ok {
				accepted = append(accepted, id)
				break
			}
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			if attempt == 0 {
				rep.Retried++
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	rep.Accepted = len(accepted)

	// Wait for a result per accepted id.
	missing := accepted
	deadline := time.Now().Add(cfg.ResultWait)
	for len(missing) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		var still []string
		for _, id := range missing {
			outcome, ok := fetchResult(ctx, client, p.GatewayURL(), id)
			if !ok {
				still = append(still, id)
				continue
			}
			if outcome != "ok" {
				rep.Failures[outcome]++
			}
		}
		missing = still
		if len(missing) > 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	rep.Lost = len(missing)
	rep.Answered = rep.Accepted - rep.Lost
	seenMu.Lock()
	for _, n := range seen {
		rep.ResultsSeen += n
		if n > 1 {
			rep.Duplicated++
		}
	}
	seenMu.Unlock()
	rep.Elapsed = time.Since(start)
	if rep.Lost > 0 {
		logf("lost ids (first 10): %s", strings.Join(missing[:min(10, len(missing))], " "))
	}
	return rep, nil
}

// fetchResult asks the gateway for id's stored result; ok is false while
// there is none.
func fetchResult(ctx context.Context, client *http.Client, gateway, id string) (outcome string, ok bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, gateway+"/results/"+id, nil)
	if err != nil {
		return "", false
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusServiceUnavailable {
		return "", false
	}
	return resp.Header.Get("ce-wloutcome"), true
}
