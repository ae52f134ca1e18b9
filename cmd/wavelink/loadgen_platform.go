package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/loadgen"
)

// platformOptions are the flags of a load command that drives either a
// running platform (--url, and the root's --nats) or one it starts for the
// run (--platform: `wavelink up` on a fresh data folder).
type platformOptions struct {
	url, binary, dataDir, mode string
	platform, keepData         bool
	upArgs                     []string
}

// addFlags registers --url, --platform, --mode, --binary, --data,
// --keep-data and --up-arg on cmd; mode and modeUsage are --mode's default
// and help text.
func (o *platformOptions) addFlags(cmd *cobra.Command, mode, modeUsage string) {
	f := cmd.Flags()
	f.StringVar(&o.url, "url", envOr("WAVELINK_GATEWAY", "http://127.0.0.1:8080"), "gateway URL of a running platform (env WAVELINK_GATEWAY)")
	f.BoolVar(&o.platform, "platform", false, "start wavelink up on a fresh data folder for the run and stop it afterwards")
	f.StringVar(&o.mode, "mode", mode, modeUsage)
	f.StringVar(&o.binary, "binary", "", "with --platform: the wavelink binary to run (default this one)")
	f.StringVar(&o.dataDir, "data", "", "with --platform: data folder (default a temporary one, removed afterwards)")
	f.BoolVar(&o.keepData, "keep-data", false, "with --platform: keep the temporary data folder (platform and instance logs)")
	f.StringArrayVar(&o.upArgs, "up-arg", nil, "with --platform: an extra argument for wavelink up (repeatable), e.g. --up-arg=--tick=1s")
}

// clusterManager is the cluster manager the platform started with
// --platform runs (its --up-arg, or up's default); empty for a platform
// the run did not start.
func (o *platformOptions) clusterManager() string {
	if !o.platform {
		return ""
	}
	kind := managerLocal
	for i, a := range o.upArgs {
		switch {
		case strings.HasPrefix(a, "--cluster-manager="):
			kind = strings.TrimPrefix(a, "--cluster-manager=")
		case a == "--cluster-manager" && i+1 < len(o.upArgs):
			kind = o.upArgs[i+1]
		}
	}
	return kind
}

// checkURL returns an error when both --platform and --url are given.
func (o platformOptions) checkURL(cmd *cobra.Command) error {
	if o.platform && cmd.Flags().Changed("url") {
		return fmt.Errorf("--platform starts its own gateway: give --platform or --url, not both")
	}
	return nil
}

// target returns the gateway and NATS URLs that the load command run
// ("step", "trace") drives: with --platform those of a platform it starts
// now, otherwise --url and --nats. stop stops that platform; without one it
// does nothing.
func (o platformOptions) target(cmd *cobra.Command, run string) (gateway, natsURL string, stop func(), err error) {
	if !o.platform {
		return strings.TrimRight(o.url, "/"), cmd.Flag("nats").Value.String(), func() {}, nil
	}
	p, stop, err := startLoadPlatform(cmd.Context(), run, o, cmd.ErrOrStderr())
	if err != nil {
		return "", "", nil, err
	}
	return p.GatewayURL(), p.NATSURL(), stop, nil
}

// startLoadPlatform starts `wavelink up --mode` for one run of the load command
// run, on free loopback ports, logging to platform.log in its data folder;
// stop stops it and removes a temporary data folder (unless --keep-data).
func startLoadPlatform(ctx context.Context, run string, o platformOptions, log io.Writer) (p *loadgen.Platform, stop func(), err error) {
	p = &loadgen.Platform{Binary: o.binary, DataDir: o.dataDir, Args: append([]string{"--mode", o.mode}, o.upArgs...)}
	if p.Binary == "" {
		if p.Binary, err = os.Executable(); err != nil {
			return nil, nil, err
		}
	}
	cleanup := func() {}
	if p.DataDir == "" {
		d, err := os.MkdirTemp("", "wavelink-"+run+"-")
		if err != nil {
			return nil, nil, err
		}
		p.DataDir = d
		cleanup = func() {
			if o.keepData {
				fmt.Fprintf(log, "loadgen %s: platform data and logs kept in %s\n", run, d)
				return
			}
			_ = os.RemoveAll(d)
		}
	}
	if p.DataDir, err = filepath.Abs(p.DataDir); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(p.DataDir, 0o750); err != nil {
		return nil, nil, err
	}
	if p.HTTP, err = loopbackAddr(); err != nil {
		return nil, nil, err
	}
	if p.NATS, err = loopbackAddr(); err != nil {
		return nil, nil, err
	}
	logf, err := os.Create(filepath.Join(p.DataDir, "platform.log"))
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	p.Log = logf
	if err := p.Start(ctx); err != nil {
		_ = logf.Close()
		cleanup()
		return nil, nil, fmt.Errorf("%w (its log: %s)", err, logf.Name())
	}
	fmt.Fprintf(log, "loadgen %s: platform up (mode %s) at %s, NATS %s, data in %s\n", run, o.mode, p.GatewayURL(), p.NATSURL(), p.DataDir)
	return p, func() {
		p.Stop(loadgen.StopGrace)
		_ = logf.Close()
		cleanup()
	}, nil
}

// loopbackAddr returns a loopback address with a port free right now.
func loopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
