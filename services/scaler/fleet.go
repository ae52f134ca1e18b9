package scaler

import (
	"sync"
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/services/scaler/expedite"
)

// fleet is the scaler's view of the Wavelets: each node's last status, the
// instances granted since that status was written, and the instances asked
// for and not answered yet. It counts every function's emergency instances
// from all three, so an arrival sees the instances the burst it belongs to
// already asked for. Its lock is held only for map work, never across I/O,
// so the arrival callback may take it.
type fleet struct {
	ttl time.Duration

	mu    sync.Mutex
	nodes map[string]*nodeView
	// emergency counts, per function, the instances live nodes report
	// running or starting, plus those granted since a node's status, plus
	// those asked for and not answered.
	emergency map[string]int
	// scratch is claim's list of usable nodes, kept between calls.
	scratch []expedite.Node
}

// nodeView is one node as the fleet knows it.
type nodeView struct {
	status schemas.NodeStatus
	// seen is when the status was received, on the scaler's clock.
	seen time.Time
	// grants are the instances accepted since the status was written.
	grants []grant
	// asking holds the requests not answered yet, per function.
	asking map[string]asking
	// usedSlots and usedMemMB are what grants and asks take beyond the
	// status.
	usedSlots, usedMemMB int
	// refused holds the functions the node refused instances of since its
	// status; failed is set when a request to it failed since then. Either
	// keeps the node out of placement until its next status.
	refused map[string]bool
	failed  bool
}

type grant struct {
	fn       string
	n, memMB int
	at       time.Time
}

type asking struct{ n, memMB int }

func newFleet(ttl time.Duration) *fleet {
	return &fleet{ttl: ttl, nodes: map[string]*nodeView{}, emergency: map[string]int{}}
}

// update records a node's status received at now, and reports whether the
// node is new. Grants made up to the status's time are in its counts from
// now on, so they stop counting apart.
func (f *fleet) update(node string, st schemas.NodeStatus, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.nodes[node]
	added := v == nil
	if v == nil {
		v = &nodeView{asking: map[string]asking{}}
		f.nodes[node] = v
	} else {
		f.addRunning(v.status, -1)
	}
	kept := v.grants[:0]
	for _, g := range v.grants {
		if g.at.After(st.Time) {
			kept = append(kept, g)
			continue
		}
		v.usedSlots -= g.n
		v.usedMemMB -= g.n * g.memMB
		f.addEmergency(g.fn, -g.n)
	}
	clear(v.grants[len(kept):])
	v.grants = kept
	v.status, v.seen = st, now
	v.refused, v.failed = nil, false
	f.addRunning(st, 1)
	return added
}

// remove forgets a node and everything counted for it.
func (f *fleet) remove(node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removeLocked(node)
}

func (f *fleet) removeLocked(node string) {
	v := f.nodes[node]
	if v == nil {
		return
	}
	f.addRunning(v.status, -1)
	for _, g := range v.grants {
		f.addEmergency(g.fn, -g.n)
	}
	for fn, a := range v.asking {
		f.addEmergency(fn, -a.n)
	}
	delete(f.nodes, node)
}

// prune forgets the nodes whose status is older than the TTL at now, and
// returns their names.
func (f *fleet) prune(now time.Time) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var gone []string
	for name, v := range f.nodes {
		if now.Sub(v.seen) > f.ttl {
			f.removeLocked(name)
			gone = append(gone, name)
		}
	}
	return gone
}

// reset forgets every node.
func (f *fleet) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.nodes)
	clear(f.emergency)
}

// claim decides one arrival's burst for fn: it counts the function's
// emergency instances into d, asks expedite.Burst how many more to ask for,
// places them over the usable nodes and counts the placed ones as asked
// for at once. It returns the shares to send, how many instances the
// decision wanted (0 when none), and how many nodes were usable. Its error
// is Burst's or Place's.
func (f *fleet) claim(p expedite.Params, fn string, sp *fnSpec, d expedite.Demand, now time.Time) (shares []expedite.Share, want, usable int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d.Emergency = f.emergency[fn]
	want, err = expedite.Burst(p, d)
	if err != nil || want == 0 {
		return nil, 0, 0, err
	}
	nodes := f.scratch[:0]
	defer func() { f.scratch = nodes[:0] }()
	for name, v := range f.nodes {
		if v.failed || v.refused[fn] || now.Sub(v.seen) > f.ttl {
			continue
		}
		pool := v.status.Pool[fn] - v.asking[fn].n
		for _, g := range v.grants {
			if g.fn == fn {
				pool -= g.n
			}
		}
		nodes = append(nodes, expedite.Node{
			Name:         name,
			FreeSlots:    v.status.Slots.Free - v.usedSlots,
			FreeMemoryMB: v.status.MemoryMB.Free - v.usedMemMB,
			Pool:         max(0, pool),
		})
	}
	shares, err = expedite.Place(nodes, sp.memoryMB, want)
	if err != nil {
		return nil, want, len(nodes), err
	}
	for _, s := range shares {
		v := f.nodes[s.Node]
		a := v.asking[fn]
		a.n += s.Count
		a.memMB = sp.memoryMB
		v.asking[fn] = a
		v.usedSlots += s.Count
		v.usedMemMB += s.Count * sp.memoryMB
		f.addEmergency(fn, s.Count)
	}
	return shares, want, len(nodes), nil
}

// settle records a node's answer to a request for asked instances of fn:
// the asked ones stop counting, the accepted ones count as granted at now.
// A failed request keeps the node out of placement, and so does a refusal
// for fn, until its next status.
func (f *fleet) settle(node, fn string, asked, accepted int, failed bool, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.nodes[node]
	if v == nil {
		return // gone, and its asks with it
	}
	a := v.asking[fn]
	k := min(asked, a.n)
	a.n -= k
	v.usedSlots -= k
	v.usedMemMB -= k * a.memMB
	f.addEmergency(fn, -k)
	if a.n == 0 {
		delete(v.asking, fn)
	} else {
		v.asking[fn] = a
	}
	if accepted > 0 {
		v.grants = append(v.grants, grant{fn: fn, n: accepted, memMB: a.memMB, at: now})
		v.usedSlots += accepted
		v.usedMemMB += accepted * a.memMB
		f.addEmergency(fn, accepted)
	}
	switch {
	case failed:
		v.failed = true
	case accepted < asked:
		if v.refused == nil {
			v.refused = map[string]bool{}
		}
		v.refused[fn] = true
	}
}

// count is fn's emergency instances: reported, granted and asked for.
func (f *fleet) count(fn string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.emergency[fn]
}

// reportedAll is every function's emergency instances that live nodes
// report running or starting.
func (f *fleet) reportedAll() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, v := range f.nodes {
		for fn, n := range v.status.Running {
			out[fn] += n
		}
	}
	return out
}

// size is how many nodes the fleet knows.
func (f *fleet) size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.nodes)
}

// addRunning adds (sign 1) or takes away (sign -1) a status's running
// instances. f.mu must be held.
func (f *fleet) addRunning(st schemas.NodeStatus, sign int) {
	for fn, n := range st.Running {
		f.addEmergency(fn, sign*n)
	}
}

// addEmergency changes fn's count, dropping it at zero. f.mu must be held.
func (f *fleet) addEmergency(fn string, n int) {
	if n == 0 {
		return
	}
	if c := f.emergency[fn] + n; c > 0 {
		f.emergency[fn] = c
	} else {
		delete(f.emergency, fn)
	}
}
