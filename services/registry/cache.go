package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Cache is a local copy of wl_functions kept current by a watch. Reads never
// touch the network.
type Cache struct {
	mu    sync.RWMutex
	specs map[string]Spec
	// changed is closed and replaced on every change.
	changed chan struct{}
}

// Watch loads every spec and keeps the returned Cache current until ctx
// ends. It returns once the initial specs are loaded.
func (r *Registry) Watch(ctx context.Context) (*Cache, error) {
	w, err := r.kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("registry: watch %s: %w", "wl_functions", err)
	}
	c := &Cache{specs: map[string]Spec{}, changed: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer func() { _ = w.Stop() }()
		initial := true
		for {
			select {
			case <-ctx.Done():
				if initial {
					close(ready)
				}
				return
			case e, ok := <-w.Updates():
				if !ok {
					if initial {
						close(ready)
					}
					return
				}
				if e == nil { // end of the initial values
					if initial {
						initial = false
						close(ready)
					}
					continue
				}
				c.apply(e)
			}
		}
	}()
	select {
	case <-ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return c, nil
}

func (c *Cache) apply(e jetstream.KeyValueEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e.Operation() {
	case jetstream.KeyValuePut:
		s, err := decodeSpec(e.Value())
		if err != nil {
			return // not ours to repair; Get reports it
		}
		c.specs[e.Key()] = s
	default:
		delete(c.specs, e.Key())
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// Lookup returns the function's spec as last seen.
func (c *Cache) Lookup(name string) (Spec, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.specs[name]
	return s, ok
}

// All returns every spec, sorted by name.
func (c *Cache) All() []Spec {
	c.mu.RLock()
	out := make([]Spec, 0, len(c.specs))
	for _, s := range c.specs {
		out = append(out, s)
	}
	c.mu.RUnlock()
	slices.SortFunc(out, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Changed returns a channel closed at the next change to any spec.
func (c *Cache) Changed() <-chan struct{} {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.changed
}
