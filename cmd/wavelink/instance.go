package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/services/instance"
)

func newInstanceCmd(g *globals) *cobra.Command {
	var (
		cfg     instance.Config
		readyFD int
	)
	cmd := &cobra.Command{
		Use:   "instance",
		Short: "Run one instance of a function: pull its invocations, call it, publish results (started by a cluster manager)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC()
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			if cfg.ID == "" {
				host, _ := os.Hostname()
				cfg.ID = host + "-" + strconv.Itoa(os.Getpid())
			}
			cfg.Logger = log
			if readyFD > 0 {
				f := os.NewFile(uintptr(readyFD), "ready")
				if f == nil {
					return fmt.Errorf("--ready-fd %d is not an open file", readyFD)
				}
				cfg.Ready = func() {
					_, _ = f.WriteString("ready\n")
					_ = f.Close()
				}
			}
			ctx := cmd.Context()
			nc, js, err := connect(g.natsURL, "wavelink-instance-"+cfg.ID, nats.MaxReconnects(-1))
			if err != nil {
				return err
			}
			defer nc.Close()
			return instance.Run(ctx, nc, js, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Function, "function", "", "function to serve (required)")
	f.StringVar(&cfg.ID, "id", "", "instance id (default host-pid)")
	f.StringVar(&cfg.Track, "track", "regular", "track: regular or emergency")
	f.IntVar(&cfg.MinPending, "min-pending", 0, "take work only while at least this many invocations wait (emergency instances)")
	f.StringVar(&cfg.WorkDir, "work-dir", defaultWorkDir(), "folder for unpacked packages, shared by the instances of a machine")
	f.IntVar(&readyFD, "ready-fd", 0, "file descriptor to write \"ready\" to once pulling")
	_ = cmd.MarkFlagRequired("function")
	return cmd
}

// defaultWorkDir is where instances unpack OCI packages when not told: the
// user's cache folder, so that every instance of a machine shares one copy.
func defaultWorkDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "wavelink")
	}
	return filepath.Join(os.TempDir(), "wavelink-"+strconv.Itoa(os.Getuid()))
}
