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

	"github.com/wavelink/wavelink/wavelet/sandbox"
)

func main() {
	// A container's first process is this binary started by libcontainer
	// as "wavelink init": it becomes the container's process here.
	sandbox.Init()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "wavelink:", err)
		os.Exit(1)
	}
}
