package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadyProbeFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ready")
	probe := func() error { return runQuiet("ready-probe", "--file", file) }
	if err := probe(); err == nil || !strings.Contains(err.Error(), "not ready") {
		t.Fatalf("with no file: %v, want not ready", err)
	}
	if err := os.WriteFile(file, []byte("ready\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := probe(); err != nil {
		t.Fatalf("with the file: %v", err)
	}
}
