package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadgenCompareRejectsAnUnknownClusterManager(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	err := runQuiet("loadgen", "compare", "--cluster-manager", "kubernetes", "--out", out)
	if err == nil || !strings.Contains(err.Error(), `--cluster-manager: want docker or local, got "kubernetes"`) {
		t.Fatalf("error %v, want one naming --cluster-manager", err)
	}
}

func TestPlatformClusterManagerFromUpArgs(t *testing.T) {
	for _, tc := range []struct {
		o    platformOptions
		want string
	}{
		{platformOptions{}, ""},
		{platformOptions{platform: true}, managerLocal},
		{platformOptions{platform: true, upArgs: []string{"--tick=1s", "--cluster-manager=docker"}}, managerDocker},
		{platformOptions{platform: true, upArgs: []string{"--cluster-manager", "docker"}}, managerDocker},
		{platformOptions{platform: false, upArgs: []string{"--cluster-manager=docker"}}, ""},
	} {
		if got := tc.o.clusterManager(); got != tc.want {
			t.Errorf("clusterManager(%+v) = %q, want %q", tc.o, got, tc.want)
		}
	}
}
