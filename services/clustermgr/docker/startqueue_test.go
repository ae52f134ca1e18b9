package docker

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/wavelink/wavelink/services/clustermgr"
)

// TestQueuedStartsDroppedOnScaleDown: with one start at a time, instances
// waiting for their turn that are scaled away are never made, and every
// instance asked for still ends with an event.
func TestQueuedStartsDroppedOnScaleDown(t *testing.T) {
	e := newEnv(t)
	spec := e.deploy("queued")
	cfg := e.cfg
	cfg.ParallelStarts = 1
	since := time.Now()
	h := e.start(cfg)

	h.scale(spec, 3)
	h.waitEvents(3, 10*time.Second, kind("queued", clustermgr.EventStarting))
	h.scale(spec, 0) // a container start takes far longer than this
	exited := h.waitEvents(3, time.Minute, kind("queued", clustermgr.EventExited))
	for _, ev := range exited {
		if ev.Err != nil {
			t.Errorf("instance %s exited with %v, want a clean end", ev.Instance, ev.Err)
		}
	}
	if cs := e.containers(cfg.ID); len(cs) != 0 {
		t.Fatalf("%d containers left after scaling to zero", len(cs))
	}
	if n := countCreates(t, e, cfg.ID, since); n != 1 {
		t.Fatalf("the daemon created %d containers, want 1 (the two waiting for a start slot are dropped)", n)
	}
}

// countCreates counts the daemon's container create events for manager id
// since then.
func countCreates(t *testing.T, e *env, id string, since time.Time) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	msgs, errs := e.cli.Events(ctx, events.ListOptions{
		Since: since.Format(time.RFC3339Nano),
		Until: time.Now().Format(time.RFC3339Nano),
		Filters: filters.NewArgs(
			filters.Arg("type", string(events.ContainerEventType)),
			filters.Arg("event", string(events.ActionCreate)),
			filters.Arg("label", LabelManager+"="+id),
		),
	})
	n := 0
	for {
		select {
		case <-msgs:
			n++
		case err := <-errs:
			if err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
				t.Fatalf("daemon events: %v", err)
			}
			return n
		case <-ctx.Done():
			t.Fatal("daemon events: no end of the listing")
		}
	}
}

// TestStartSlotsRoundRobin: with one start at a time, a function asking
// for its first instance goes before another function's next ones.
func TestStartSlotsRoundRobin(t *testing.T) {
	e := newEnv(t)
	many, one := e.deploy("many"), e.deploy("one")
	cfg := e.cfg
	cfg.ParallelStarts = 1
	h := e.start(cfg)

	h.scale(many, 3)
	h.waitEvents(3, 10*time.Second, kind("many", clustermgr.EventStarting))
	h.scale(one, 1)
	h.waitEvents(1, time.Minute, kind("one", clustermgr.EventReady))
	if n := h.m.Ready("many"); n > 1 {
		t.Fatalf("%d instances of many were ready before one's first: its start waited behind them", n)
	}
	h.waitEvents(3, time.Minute, kind("many", clustermgr.EventReady))
}
