// Command wavelink is WaveLink's single binary: `wavelink up` runs the whole
// platform in one process; the other subcommands run one role each or talk
// to a running platform.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "wavelink:", err)
		os.Exit(1)
	}
}
