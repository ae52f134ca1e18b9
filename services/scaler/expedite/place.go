package expedite

import (
	"cmp"
	"fmt"
)

// Node is what Place knows of one node for one function.
type Node struct {
	// Name is the node's name, unique among the nodes passed to Place.
	Name string
	// FreeSlots is how many more emergency instances the node may run.
	FreeSlots int
	// FreeMemoryMB is the node's free memory for emergency instances.
	FreeMemoryMB int
	// Pool is how many pre-created entries the node holds for the
	// function.
	Pool int
}

// Share is the part of a burst placed on one node.
type Share struct {
	Node string
	// Count is how many instances to ask of the node.
	Count int
	// Pooled is how many of them its pool entries should serve.
	Pooled int
}

// Place splits count emergency instances of a function whose instances
// need memoryMB each over nodes. Nodes with pool entries for the function
// come first, the most entries first, each taking up to its entries; the
// rest go to the nodes with the most free slots left, filling one before
// the next. A node never gets more than its free slots nor more than its
// free memory / memoryMB. Ties go to the lower name, so the result is
// deterministic. It returns one share per node used, in the order the nodes
// were first used; their counts add up to count, or less when the nodes
// cannot hold it (nothing at all when none can). It returns an error
// wrapping ErrInvalidPlacement for a negative count or a memory size below
// 1 MB. Negative free counts in a Node read as zero.
func Place(nodes []Node, memoryMB, count int) ([]Share, error) {
	switch {
	case memoryMB < 1:
		return nil, fmt.Errorf("%w: memory per instance must be at least 1 MB, got %d", ErrInvalidPlacement, memoryMB)
	case count < 0:
		return nil, fmt.Errorf("%w: count must not be negative, got %d", ErrInvalidPlacement, count)
	}
	if count == 0 || len(nodes) == 0 {
		return nil, nil
	}
	// room is what each node can still take; given and pooled what it got.
	buf := make([]int, 3*len(nodes))
	room, given, pooled := buf[:len(nodes)], buf[len(nodes):2*len(nodes)], buf[2*len(nodes):]
	for i, n := range nodes {
		room[i] = max(0, min(n.FreeSlots, n.FreeMemoryMB/memoryMB))
	}
	var shares []Share
	give := func(i, k, warm int) {
		if given[i] == 0 {
			shares = append(shares, Share{Node: nodes[i].Name})
		}
		for j := range shares {
			if shares[j].Node == nodes[i].Name {
				shares[j].Count += k
				shares[j].Pooled += warm
				break
			}
		}
		room[i] -= k
		given[i] += k
		pooled[i] += warm
	}
	left := count

	// Pool entries first: each step takes the node with the most entries
	// (then the most free slots, then the lower name) not used yet.
	for left > 0 {
		best := -1
		for i, n := range nodes {
			if n.Pool <= 0 || room[i] == 0 || pooled[i] > 0 {
				continue
			}
			if best < 0 || cmp.Or(
				cmp.Compare(n.Pool, nodes[best].Pool),
				cmp.Compare(n.FreeSlots, nodes[best].FreeSlots),
				cmp.Compare(nodes[best].Name, n.Name)) > 0 {
				best = i
			}
		}
		if best < 0 {
			break
		}
		k := min(left, nodes[best].Pool, room[best])
		give(best, k, k)
		left -= k
	}

	// Then each step fills the node with the most free slots left (then
	// the lower name) as far as it goes.
	for left > 0 {
		best := -1
		for i, n := range nodes {
			if room[i] == 0 {
				continue
			}
			if best < 0 || cmp.Or(
				cmp.Compare(n.FreeSlots-given[i], nodes[best].FreeSlots-given[best]),
				cmp.Compare(nodes[best].Name, n.Name)) > 0 {
				best = i
			}
		}
		if best < 0 {
			break
		}
		k := min(left, room[best])
		give(best, k, 0)
		left -= k
	}
	return shares, nil
}
