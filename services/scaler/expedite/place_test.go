package expedite

import (
	"errors"
	"fmt"
	"testing"
)

func TestPlace(t *testing.T) {
	n := func(name string, slots, memMB, pool int) Node {
		return Node{Name: name, FreeSlots: slots, FreeMemoryMB: memMB, Pool: pool}
	}
	tests := []struct {
		name  string
		nodes []Node
		memMB int
		count int
		want  string
	}{
		{"no nodes", nil, 128, 3, "[]"},
		{"nothing to place", []Node{n("a", 4, 4096, 0)}, 128, 0, "[]"},
		{"most free slots first", []Node{n("a", 2, 4096, 0), n("b", 6, 4096, 0)}, 128, 3, "[b:3/0]"},
		{"fills one node, then the next", []Node{n("a", 2, 4096, 0), n("b", 6, 4096, 0)}, 128, 7, "[b:6/0 a:1/0]"},
		{"a pool entry wins over free slots", []Node{n("a", 2, 4096, 1), n("b", 6, 4096, 0)}, 128, 1, "[a:1/1]"},
		{"pool entries first, the rest by free slots", []Node{n("a", 3, 4096, 1), n("b", 6, 4096, 0)}, 128, 4, "[a:1/1 b:3/0]"},
		{"the pool node takes more once the others are full", []Node{n("a", 3, 4096, 1), n("b", 1, 4096, 0)}, 128, 4, "[a:3/1 b:1/0]"},
		{"warm starts spread over pool nodes", []Node{n("a", 8, 4096, 1), n("b", 8, 4096, 2), n("c", 9, 4096, 0)}, 128, 3, "[b:2/2 a:1/1]"},
		{"memory bounds a node", []Node{n("a", 8, 300, 0), n("b", 2, 4096, 0)}, 128, 4, "[a:2/0 b:2/0]"},
		{"memory below one instance takes none", []Node{n("a", 8, 100, 3)}, 128, 2, "[]"},
		{"a full pool node is skipped", []Node{n("a", 0, 4096, 3), n("b", 1, 4096, 0)}, 128, 2, "[b:1/0]"},
		{"more than the nodes hold", []Node{n("a", 1, 4096, 0), n("b", 1, 4096, 0)}, 128, 5, "[a:1/0 b:1/0]"},
		{"negative free counts read as zero", []Node{n("a", -3, -100, 1), n("b", 1, 4096, 0)}, 128, 1, "[b:1/0]"},
		{"ties go to the lower name", []Node{n("c", 4, 4096, 0), n("a", 4, 4096, 0), n("b", 4, 4096, 0)}, 128, 2, "[a:2/0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shares, err := Place(tc.nodes, tc.memMB, tc.count)
			if err != nil {
				t.Fatal(err)
			}
			if got := format(shares); got != tc.want {
				t.Fatalf("Place = %s, want %s", got, tc.want)
			}
			placed := 0
			for _, s := range shares {
				placed += s.Count
				for _, nd := range tc.nodes {
					if nd.Name == s.Node && (s.Count > nd.FreeSlots || s.Count*tc.memMB > nd.FreeMemoryMB || s.Pooled > nd.Pool) {
						t.Fatalf("share %+v exceeds node %+v", s, nd)
					}
				}
			}
			if placed > tc.count {
				t.Fatalf("placed %d of %d", placed, tc.count)
			}
		})
	}
}

func TestPlaceRejectsBadInput(t *testing.T) {
	nodes := []Node{{Name: "a", FreeSlots: 1, FreeMemoryMB: 1024}}
	for _, tc := range []struct {
		name         string
		memMB, count int
	}{{"zero memory", 0, 1}, {"negative count", 128, -1}} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := Place(nodes, tc.memMB, tc.count); s != nil || !errors.Is(err, ErrInvalidPlacement) {
				t.Fatalf("Place = %v, %v; want ErrInvalidPlacement", s, err)
			}
		})
	}
}

// format writes shares as [node:count/pooled ...].
func format(shares []Share) string {
	out := "["
	for i, s := range shares {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%s:%d/%d", s.Node, s.Count, s.Pooled)
	}
	return out + "]"
}
