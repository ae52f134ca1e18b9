package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// globals are the flags every subcommand shares.
type globals struct {
	logLevel  string
	logFormat string
	natsURL   string
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "wavelink",
		Short:         "WaveLink: a serverless control plane with a regular and an expedited track",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&g.logFormat, "log-format", "console", "log format: console or json")
	pf.StringVar(&g.natsURL, "nats", envOr("WAVELINK_NATS", "nats://127.0.0.1:4222"), "NATS server URL (env WAVELINK_NATS)")
	root.AddCommand(newUpCmd(g), newInstanceCmd(g), newGatewayCmd(g), newScalerCmd(g), newWaveletCmd(g), newNodesCmd(g), newFnCmd(g), newLoadgenCmd(), newProbeCmd())
	return root
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// logger builds the one logger of this process, writing to w.
func (g *globals) logger(w io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(g.logLevel)
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("--log-level %q: %w", g.logLevel, err)
	}
	switch g.logFormat {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	default:
		return zerolog.Nop(), fmt.Errorf("--log-format %q: want console or json", g.logFormat)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// tuneGC makes the processes that carry invocations (wavelink up, the
// gateway, instances) collect garbage less often unless GOGC says
// otherwise: they allocate a little per invocation and have memory to
// spare, and at the default a tenth or more of their CPU goes to
// collection under load.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
