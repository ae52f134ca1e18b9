package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// newProbeCmd is the floor of starting this binary: it writes "ready" to a
// descriptor and exits, as an instance does once it pulls. Benchmarks
// compare instance starts against it.
func newProbeCmd() *cobra.Command {
	var fd int
	cmd := &cobra.Command{
		Use:    "ready-probe",
		Short:  "Write \"ready\" to a descriptor and exit: the floor of starting this binary, for benchmarks",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			f := os.NewFile(uintptr(fd), "ready")
			if f == nil {
				return fmt.Errorf("--ready-fd %d is not an open file", fd)
			}
			_, err := f.WriteString("ready\n")
			return err
		},
	}
	cmd.Flags().IntVar(&fd, "ready-fd", 3, "descriptor to write to")
	return cmd
}
