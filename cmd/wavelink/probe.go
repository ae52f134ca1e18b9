package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// newProbeCmd is the floor of starting this binary: it writes "ready" to a
// descriptor and exits, as an instance does once it pulls. Benchmarks
// compare instance starts against it. With --file it is a container's
// health check instead: it succeeds when the file an instance made with
// --ready-file exists.
func newProbeCmd() *cobra.Command {
	var (
		fd   int
		file string
	)
	cmd := &cobra.Command{
		Use:    "ready-probe",
		Short:  "Write \"ready\" to a descriptor and exit (the floor of starting this binary), or with --file check that an instance is ready",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if file != "" {
				if _, err := os.Stat(file); err != nil {
					return fmt.Errorf("not ready: %w", err)
				}
				return nil
			}
			f := os.NewFile(uintptr(fd), "ready")
			if f == nil {
				return fmt.Errorf("--ready-fd %d is not an open file", fd)
			}
			_, err := f.WriteString("ready\n")
			return err
		},
	}
	cmd.Flags().IntVar(&fd, "ready-fd", 3, "descriptor to write to")
	cmd.Flags().StringVar(&file, "file", "", "succeed when this file exists (an instance's --ready-file), fail otherwise; nothing is written")
	return cmd
}
