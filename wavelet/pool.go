package wavelet

import (
	"context"
	"time"

	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/wavelet/poolpolicy"
)

// maxFills bounds how many pool entries are made at once, so that filling
// the pool does not take the CPU from instances serving a burst.
const maxFills = 4

// noteBurst records a burst request of fn for the pool policy.
func (w *Wavelet) noteBurst(fn string, count int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.history[fn]
	if h == nil {
		h = &poolpolicy.History{}
		w.history[fn] = h
	}
	h.Add(time.Now(), count, w.cfg.Pool.Window)
}

// keepPool brings each function's pooled instances to the policy's target
// (it releases entries of functions that no longer burst, were removed or
// changed, and makes entries that are missing), and keeps Config.Generic
// generic instances parked.
func (w *Wavelet) keepPool(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	now := time.Now()
	byName := map[string]registry.Spec{}
	for _, s := range w.specs.All() {
		byName[s.Name] = s
	}
	var drop []*inst
	var fill []registry.Spec

	w.mu.Lock()
	if w.stopping {
		w.mu.Unlock()
		return
	}
	for fn, entries := range w.pool {
		spec, ok := byName[fn]
		kept := entries[:0]
		for _, e := range entries {
			if !ok || spec.Draining || e.specKey != specKey(spec) {
				drop = append(drop, e)
				continue
			}
			kept = append(kept, e)
		}
		w.pool[fn] = kept
	}
	pooledMB := 0
	fills := 0
	for fn, entries := range w.pool {
		for _, e := range entries {
			pooledMB += e.memMB
		}
		fills += w.filling[fn]
	}
	var fns []poolpolicy.Function
	for fn, h := range w.history {
		h.Forget(now, w.cfg.Pool.Window)
		spec, ok := byName[fn]
		if !ok || h.Peak(now, w.cfg.Pool.Window) == 0 {
			delete(w.history, fn)
			continue
		}
		fns = append(fns, poolpolicy.Function{Name: fn, MemoryMB: spec.MemoryMB + w.cfg.OverheadMB, History: h})
	}
	for fn := range w.pool {
		if _, ok := w.history[fn]; !ok {
			fns = append(fns, poolpolicy.Function{Name: fn}) // no history: target 0
		}
	}
	targets := map[string]int{}
	if w.cfg.Pool.PerFunction >= 0 {
		targets = poolpolicy.Targets(now, fns, w.cfg.MemoryMB-w.usedMB+pooledMB, w.cfg.Pool)
	} else {
		for fn := range w.pool {
			targets[fn] = 0
		}
	}
	for fn, target := range targets {
		have := len(w.pool[fn]) + w.filling[fn]
		for have > target && len(w.pool[fn]) > 0 {
			drop = append(drop, w.pool[fn][0])
			w.pool[fn] = w.pool[fn][1:]
			have--
		}
		spec, ok := byName[fn]
		if !ok || w.crashed[fn].until.After(now) {
			continue
		}
		mem := spec.MemoryMB + w.cfg.OverheadMB
		for have < target && fills < maxFills && w.usedSlots < w.cfg.Slots && w.usedMB+mem <= w.cfg.MemoryMB {
			w.usedSlots++
			w.usedMB += mem
			w.filling[fn]++
			fills++
			have++
			fill = append(fill, spec)
		}
	}
	generics := 0
	gmem := w.cfg.GenericMemoryMB + w.cfg.OverheadMB
	for len(w.generics)+w.genFill < w.cfg.Generic && fills < maxFills &&
		w.usedSlots < w.cfg.Slots && w.usedMB+gmem <= w.cfg.MemoryMB {
		w.usedSlots++
		w.usedMB += gmem
		w.genFill++
		fills++
		generics++
	}
	w.mu.Unlock()

	for _, e := range drop {
		e.stop()
	}
	for _, spec := range fill {
		w.work.Go(func() { w.fill(ctx, spec) })
	}
	for range generics {
		w.work.Go(func() { w.fill(ctx, w.genericSpec()) })
	}
}

// fill makes one parked instance of spec, whose slot and memory are
// reserved already: a pooled instance of the function, or, for the
// generic spec (no name), a generic one.
func (w *Wavelet) fill(ctx context.Context, spec registry.Spec) {
	generic := spec.Name == ""
	// done counts the fill as over and, on success, adds the instance.
	done := func(in *inst) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if generic {
			w.genFill--
		} else {
			w.filling[spec.Name]--
		}
		switch {
		case in == nil:
		case w.stopping: // missed by shutdown's round: stop it, or its reaper waits forever
			go in.stop()
		case generic:
			w.generics = append(w.generics, in)
		default:
			w.pool[spec.Name] = append(w.pool[spec.Name], in)
		}
	}
	failed := func(err error) {
		if !generic {
			w.noteCrash(spec.Name, err.Error())
		}
		w.log.Warn().Err(err).Str("function", spec.Name).Bool("generic", generic).Msg("parked instance not made")
	}
	in, err := w.launch(ctx, spec, true, lifetimes{})
	if err != nil {
		done(nil)
		w.release(spec.MemoryMB + w.cfg.OverheadMB)
		failed(err)
		return
	}
	w.work.Go(func() { w.reap(in) })
	if err := in.await(ctx, lineParked, w.cfg.ReadyTimeout); err != nil {
		done(nil)
		failed(err)
		in.stop()
		return
	}
	done(in)
	w.log.Debug().Str("function", spec.Name).Str("instance", in.id).
		Dur("took", time.Since(in.created)).Msg("instance parked")
}
