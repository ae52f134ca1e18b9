package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wavelink/wavelink/services/registry"
)

func newFnCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "fn", Short: "Deploy, list, remove and invoke functions"}
	cmd.AddCommand(newFnDeployCmd(g), newFnLsCmd(g), newFnRmCmd(g), newFnInvokeCmd())
	return cmd
}

func newFnDeployCmd(g *globals) *cobra.Command {
	var (
		file        string
		pkg         string
		command     []string
		env         []string
		spec        registry.Spec
		timeout     time.Duration
		memory      int
		concurrency int
		noCheck     bool
	)
	cmd := &cobra.Command{
		Use:   "deploy [NAME]",
		Short: "Deploy or update a function from a YAML/JSON spec file or from flags",
		Example: `  wavelink fn deploy -f hello.yaml
  wavelink fn deploy hello --package rootfs:./hello/rootfs --command /hello --concurrency 8
  wavelink fn deploy my-echo --package builtin:echo`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var s registry.Spec
			if file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return err
				}
				if s, err = registry.ParseSpec(b); err != nil {
					return fmt.Errorf("%s: %w", file, err)
				}
				// Folders in a spec file are relative to the file.
				s.Package = absPackage(s.Package, filepath.Dir(file))
			}
			// Flags given explicitly override the file.
			f := cmd.Flags()
			if len(args) == 1 {
				s.Name = args[0]
			}
			if f.Changed("package") {
				p, err := registry.ParsePackage(pkg)
				if err != nil {
					return err
				}
				s.Package = absPackage(p, ".")
			}
			if f.Changed("command") {
				s.Command = command
			}
			if f.Changed("memory") {
				s.MemoryMB = memory
			}
			if f.Changed("concurrency") {
				s.Concurrency = concurrency
			}
			if f.Changed("timeout") {
				s.Timeout = registry.Duration(timeout)
			}
			if f.Changed("min") {
				s.MinInstances = spec.MinInstances
			}
			if f.Changed("max") {
				s.MaxInstances = spec.MaxInstances
			}
			if f.Changed("max-deliver") {
				s.MaxDeliver = spec.MaxDeliver
			}
			for _, kv := range env {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--env %q: want KEY=VALUE", kv)
				}
				if s.Env == nil {
					s.Env = map[string]string{}
				}
				s.Env[k] = v
			}
			if file == "" && len(args) == 0 {
				return fmt.Errorf("give a spec file (-f) or a function name")
			}
			if !noCheck {
				if err := checkPackage(s); err != nil {
					return fmt.Errorf("%w (deploy with --no-check if the package exists only where the platform runs)", err)
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			nc, r, err := openRegistry(ctx, g.natsURL, "wavelink-fn")
			if err != nil {
				return err
			}
			defer nc.Close()
			stored, err := r.Deploy(ctx, s)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deployed %s (%s, concurrency %d, timeout %s, instances %d..%d)\n",
				stored.Name, stored.Package, stored.Concurrency, stored.Timeout.D(), stored.MinInstances, stored.MaxInstances)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "spec file (YAML or JSON)")
	f.StringVar(&pkg, "package", "", "package: builtin:NAME, rootfs:FOLDER or oci:FOLDER[:TAG]")
	f.StringSliceVar(&command, "command", nil, "command inside the package, comma-separated arguments")
	f.IntVar(&memory, "memory", 0, "memory per instance in MB (default 128)")
	f.IntVar(&concurrency, "concurrency", 0, "invocations one instance runs at once (default 10)")
	f.DurationVar(&timeout, "timeout", 0, "timeout of one invocation (default 30s)")
	f.IntVar(&spec.MinInstances, "min", 0, "minimum regular instances")
	f.IntVar(&spec.MaxInstances, "max", 0, "maximum regular instances (default 10)")
	f.IntVar(&spec.MaxDeliver, "max-deliver", 0, "deliveries before an invocation is dead-lettered (default 3)")
	f.StringArrayVar(&env, "env", nil, "environment variable KEY=VALUE (repeatable)")
	f.BoolVar(&noCheck, "no-check", false, "do not check that the package's folder and command exist on this machine")
	return cmd
}

// checkPackage looks for a packaged function's files on this machine, where
// `wavelink up` runs them: a root filesystem folder holding the command, or
// an OCI image layout.
func checkPackage(s registry.Spec) error {
	switch s.Package.Kind() {
	case "rootfs":
		st, err := os.Stat(s.Package.RootFS)
		if err != nil || !st.IsDir() {
			return fmt.Errorf("package: root filesystem folder %s not found", s.Package.RootFS)
		}
		if len(s.Command) > 0 {
			cmdPath := filepath.Join(s.Package.RootFS, s.Command[0])
			st, err := os.Stat(cmdPath)
			if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				return fmt.Errorf("command: %s is not an executable file in %s", s.Command[0], s.Package.RootFS)
			}
		}
	case "oci":
		if _, err := os.Stat(filepath.Join(s.Package.OCI, "index.json")); err != nil {
			return fmt.Errorf("package: %s is not an OCI image layout (no index.json)", s.Package.OCI)
		}
	}
	return nil
}

// absPackage makes a package's folder absolute, relative to base: instances
// run on the platform's side, where the deployer's working folder means
// nothing.
func absPackage(p registry.Package, base string) registry.Package {
	abs := func(dir string) string {
		if dir == "" || filepath.IsAbs(dir) {
			return dir
		}
		if a, err := filepath.Abs(filepath.Join(base, dir)); err == nil {
			return a
		}
		return dir
	}
	p.RootFS, p.OCI = abs(p.RootFS), abs(p.OCI)
	return p
}

func newFnLsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List deployed functions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			nc, r, err := openRegistry(ctx, g.natsURL, "wavelink-fn")
			if err != nil {
				return err
			}
			defer nc.Close()
			specs, err := r.List(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(specs)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPACKAGE\tCONCURRENCY\tTIMEOUT\tMEMORY\tINSTANCES\tSTATE")
			for _, s := range specs {
				state := "ready"
				if s.Draining {
					state = "draining"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%dMB\t%d..%d\t%s\n", s.Name, s.Package, s.Concurrency, s.Timeout.D(), s.MemoryMB, s.MinInstances, s.MaxInstances, state)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the specs as JSON")
	return cmd
}

func newFnRmCmd(g *globals) *cobra.Command {
	var o registry.RemoveOptions
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Stop new invocations of a function, drain its queue, and delete it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			nc, r, err := openRegistry(ctx, g.natsURL, "wavelink-fn")
			if err != nil {
				return err
			}
			defer nc.Close()
			if err := r.Remove(ctx, args[0], o); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().DurationVar(&o.DrainTimeout, "drain-timeout", time.Minute, "how long to wait for queued invocations to finish")
	cmd.Flags().BoolVar(&o.Force, "force", false, "dead-letter invocations still queued after the drain timeout")
	return cmd
}

func newFnInvokeCmd() *cobra.Command {
	var (
		gateway string
		data    string
		async   bool
		headers []string
		wait    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "invoke NAME",
		Short: "Invoke a function through the gateway and print its answer",
		Example: `  wavelink fn invoke echo --data 'hello'
  wavelink fn invoke trace -H requested_cpu:50 -H requested_memory:16
  wavelink fn invoke echo --data @payload.json --async`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := []byte(data)
			if strings.HasPrefix(data, "@") {
				b, err := os.ReadFile(data[1:])
				if err != nil {
					return err
				}
				body = b
			}
			url := strings.TrimRight(gateway, "/") + "/functions/" + args[0]
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, ":")
				if !ok {
					return fmt.Errorf("-H %q: want NAME:VALUE", h)
				}
				req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
			if async {
				req.Header.Set("Prefer", "respond-async")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("invoke through %s (is the gateway running? set --gateway): %w", gateway, err)
			}
			out, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				return err
			}
			if async && resp.StatusCode == http.StatusAccepted && wait > 0 {
				return pollResult(cmd, gateway, resp.Header.Get("Location"), wait)
			}
			return printAnswer(cmd, resp, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&gateway, "gateway", envOr("WAVELINK_GATEWAY", "http://127.0.0.1:8080"), "gateway URL (env WAVELINK_GATEWAY)")
	f.StringVarP(&data, "data", "d", "", "request body, or @FILE")
	f.BoolVar(&async, "async", false, "invoke asynchronously (202 and a result URL)")
	f.DurationVar(&wait, "wait", 0, "with --async, poll the result URL for up to this long")
	f.StringArrayVarP(&headers, "header", "H", nil, "request header NAME:VALUE (repeatable)")
	return cmd
}

func printAnswer(cmd *cobra.Command, resp *http.Response, body []byte) error {
	w := cmd.OutOrStdout()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusAccepted && loc != "" {
		fmt.Fprintf(w, "accepted; result at %s\n", loc)
		return nil
	}
	_, err := w.Write(body)
	if len(body) > 0 && body[len(body)-1] != '\n' {
		fmt.Fprintln(w)
	}
	return err
}

func pollResult(cmd *cobra.Command, gateway, location string, wait time.Duration) error {
	url := strings.TrimRight(gateway, "/") + location
	deadline := time.Now().Add(wait)
	for {
		req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusNotFound || time.Now().After(deadline) {
			return printAnswer(cmd, resp, body)
		}
		select {
		case <-cmd.Context().Done():
			return cmd.Context().Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
