package expedite

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkBurstAndPlace measures one asking arrival's pure decisions:
// Burst, then Place over 16 nodes, two of them with pool entries. It reports
// the ratio to a floor measured in the same run: Burst alone, the decision
// of an arrival that asks for nothing.
func BenchmarkBurstAndPlace(b *testing.B) {
	p := DefaultParams()
	nodes := make([]Node, 16)
	for i := range nodes {
		nodes[i] = Node{Name: fmt.Sprintf("node-%02d", i), FreeSlots: 4 + i%5, FreeMemoryMB: 8192}
	}
	nodes[3].Pool, nodes[9].Pool = 1, 2
	d := Demand{Outstanding: 40, Concurrency: 1, MaxInstances: 100, Regular: 2, Emergency: 30}

	const floorRounds = 100_000
	start := time.Now()
	for range floorRounds {
		if _, err := Burst(p, d); err != nil {
			b.Fatal(err)
		}
	}
	floor := time.Since(start) / floorRounds

	b.ResetTimer()
	for b.Loop() {
		n, err := Burst(p, d)
		if err != nil || n != 8 {
			b.Fatalf("Burst = %d, %v", n, err)
		}
		if _, err := Place(nodes, 256, n); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(floor.Nanoseconds()), "floor-ns")
	if floor > 0 {
		b.ReportMetric(float64(perOp)/float64(floor), "x-floor")
	}
}
