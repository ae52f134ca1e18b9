package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// newNodesCmd lists the Wavelets' status from wl_nodes.
func newNodesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "nodes",
		Short: "List the Wavelets alive (wl_nodes): their capacity, emergency instances and pool",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			nc, js, err := connect(g.natsURL, "wavelink-cli")
			if err != nil {
				return err
			}
			defer nc.Close()
			kv, err := js.KeyValue(ctx, streams.BucketNodes)
			if err != nil {
				return fmt.Errorf("bucket %s: %w", streams.BucketNodes, err)
			}
			keys, err := kv.Keys(ctx)
			if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tMODE\tSLOTS FREE\tMEMORY FREE\tRUNNING\tPOOL\tGENERIC\tSEEN")
			for _, k := range keys {
				e, err := kv.Get(ctx, k)
				if err != nil {
					continue // gone since listed
				}
				st, err := schemas.DecodeNodeStatusJSON(e.Value())
				if err != nil {
					fmt.Fprintf(tw, "%s\t(unreadable status: %v)\n", k, err)
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d/%d MiB\t%s\t%s\t%d\t%s ago\n", st.Node, st.Mode,
					st.Slots.Free, st.Slots.Total, st.MemoryMB.Free, st.MemoryMB.Total,
					perFunction(st.Running), perFunction(st.Pool), st.Generic, time.Since(st.Time).Round(100*time.Millisecond))
			}
			return tw.Flush()
		},
	}
}

// perFunction prints counts per function as "fn=n,fn=n", or "-".
func perFunction(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, fn := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", fn, m[fn]))
	}
	return strings.Join(parts, ",")
}
