package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/services/instance"
	"github.com/wavelink/wavelink/services/instance/confine"
)

func newInstanceCmd(g *globals) *cobra.Command {
	var (
		cfg       instance.Config
		readyFD   int
		readyFile string
		parkFD    int
		filter    bool
	)
	cmd := &cobra.Command{
		Use:   "instance",
		Short: "Run one instance of a function: pull its invocations, call it, publish results (started by a cluster manager, or by a Wavelet for a burst)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if filter {
				// Before anything else, so that every thread and every
				// process started later runs under it.
				if err := confine.Apply(); err != nil {
					return fmt.Errorf("--seccomp: %w", err)
				}
			}
			tuneGC()
			log, err := g.logger(os.Stderr)
			if err != nil {
				return err
			}
			if filter {
				log.Info().Msg("seccomp filter installed")
			}
			if cfg.ID == "" {
				host, _ := os.Hostname()
				cfg.ID = host + "-" + strconv.Itoa(os.Getpid())
			}
			cfg.Logger = log
			var ready []func()
			if readyFile != "" {
				// A file left by an earlier run of the container says
				// nothing about this one.
				if err := os.Remove(readyFile); err != nil && !os.IsNotExist(err) {
					return fmt.Errorf("--ready-file: %w", err)
				}
				ready = append(ready, func() {
					if err := os.WriteFile(readyFile, []byte("ready\n"), 0o644); err != nil {
						log.Error().Err(err).Msg("cannot write --ready-file")
					}
				})
				defer func() { _ = os.Remove(readyFile) }()
			}
			if readyFD > 0 {
				f := os.NewFile(uintptr(readyFD), "ready")
				if f == nil {
					return fmt.Errorf("--ready-fd %d is not an open file", readyFD)
				}
				ready = append(ready, func() {
					_, _ = f.WriteString("ready\n")
					_ = f.Close()
				})
				if parkFD > 0 {
					p := os.NewFile(uintptr(parkFD), "park")
					if p == nil {
						return fmt.Errorf("--park-fd %d is not an open file", parkFD)
					}
					cfg.Park = func(ctx context.Context) (instance.Unpark, error) {
						if _, err := f.WriteString("parked\n"); err != nil {
							return instance.Unpark{}, err
						}
						return awaitGo(ctx, p)
					}
				}
			} else if parkFD > 0 {
				return fmt.Errorf("--park-fd needs --ready-fd: the parked instance says so there")
			}
			if len(ready) > 0 {
				cfg.Ready = func() {
					for _, r := range ready {
						r()
					}
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
	f.StringVar(&cfg.Function, "function", "", "function to serve (required, but for a generic parked instance, told its function when let go)")
	f.StringVar(&cfg.ID, "id", "", "instance id (default host-pid)")
	f.StringVar(&cfg.Track, "track", "regular", "track: regular or emergency")
	f.StringVar(&cfg.WorkDir, "work-dir", defaultWorkDir(), "folder for unpacked packages, shared by the instances of a machine")
	f.StringVar(&cfg.RootFS, "rootfs", "", "folder the function's package is already unpacked in (\"/\" inside an emergency instance's container): run its command from there instead of preparing the package; ignored for built-ins")
	f.DurationVar(&cfg.IdleExit, "idle-exit", 0, "retire after holding no invocation this long: stop pulling, finish what is held, exit 0 (0: never)")
	f.DurationVar(&cfg.MaxLifetime, "max-lifetime", 0, "retire this long after starting: stop pulling, finish what is held, exit 0 (0: never)")
	f.BoolVar(&filter, "seccomp", false, "before connecting, install a seccomp filter (Linux only) that this process and the function's process inherit: it refuses mounts, namespaces, tracing, kernel modules, eBPF and other calls a function never needs")
	f.IntVar(&parkFD, "park-fd", 0, "start the function, write \"parked\" to --ready-fd, then wait to read \"go IDLE LIFETIME [FUNCTION]\" on this descriptor before pulling (a pre-started emergency instance; without --function it parks as soon as it is connected and is told its function then)")
	f.IntVar(&readyFD, "ready-fd", 0, "file descriptor to write \"ready\" to once pulling")
	f.StringVar(&readyFile, "ready-file", "", "file to create once pulling and to remove on exit (for a container's health check: ready-probe --file)")
	cmd.MarkFlagsOneRequired("function", "park-fd")
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

// awaitGo reads the line that lets a parked instance go: "go", then
// optionally its idle exit and max lifetime as Go durations, then
// optionally the function to serve (required for a generic instance). The
// end of the file, or ctx ending, stops the instance instead.
func awaitGo(ctx context.Context, f *os.File) (instance.Unpark, error) {
	type line struct {
		s   string
		err error
	}
	got := make(chan line, 1)
	go func() {
		s, err := bufio.NewReader(f).ReadString('\n')
		got <- line{s, err}
	}()
	var l line
	select {
	case l = <-got:
	case <-ctx.Done():
		_ = f.Close()
		return instance.Unpark{}, ctx.Err()
	}
	_ = f.Close()
	if l.err != nil {
		return instance.Unpark{}, fmt.Errorf("park descriptor: %w", l.err)
	}
	fields := strings.Fields(l.s)
	if len(fields) == 0 || fields[0] != "go" || len(fields) > 4 {
		return instance.Unpark{}, fmt.Errorf("park descriptor: want \"go [IDLE [LIFETIME [FUNCTION]]]\", got %q", strings.TrimSpace(l.s))
	}
	var u instance.Unpark
	for i, v := range fields[1:min(len(fields), 3)] {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return instance.Unpark{}, fmt.Errorf("park descriptor: bad duration %q", v)
		}
		if i == 0 {
			u.IdleExit = d
		} else {
			u.MaxLifetime = d
		}
	}
	if len(fields) >= 4 {
		u.Function = fields[3]
	}
	return u, nil
}
