package wavelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/wavelink/wavelink/services/instance/bundle"
	"github.com/wavelink/wavelink/services/registry"
	"github.com/wavelink/wavelink/wavelet/sandbox"
)

// bundles keeps each package's root filesystem ready: prepared once, then
// reused by every instance of every function with that package.
type bundles struct {
	dir string // the Wavelet's state folder

	mu    sync.Mutex
	ready map[string]string // package string -> root filesystem folder
	// making serialises preparation of one package.
	making map[string]*sync.Mutex
}

func newBundles(dir string) *bundles {
	return &bundles{dir: dir, ready: map[string]string{}, making: map[string]*sync.Mutex{}}
}

// rootfs returns the root filesystem folder of pkg, making the built-ins'
// minimal one or unpacking an OCI layout on first use.
func (b *bundles) rootfs(ctx context.Context, pkg registry.Package) (string, error) {
	key := pkg.String()
	b.mu.Lock()
	if p, ok := b.ready[key]; ok {
		b.mu.Unlock()
		return p, nil
	}
	m := b.making[key]
	if m == nil {
		m = &sync.Mutex{}
		b.making[key] = m
	}
	b.mu.Unlock()

	m.Lock()
	defer m.Unlock()
	b.mu.Lock()
	p, ok := b.ready[key]
	b.mu.Unlock()
	if ok {
		return p, nil
	}
	var err error
	if pkg.Kind() == "builtin" {
		p, err = b.minimalRootfs()
	} else {
		p, err = bundle.Prepare(ctx, pkg, filepath.Join(b.dir, "bundles"))
	}
	if err != nil {
		return "", fmt.Errorf("bundle %s: %w", key, err)
	}
	b.mu.Lock()
	b.ready[key] = p
	b.mu.Unlock()
	return p, nil
}

// minimalRootfs makes the root filesystem built-in functions run in: empty
// folders for the mount points and empty files for the host's name
// resolution files, which are bind-mounted over them.
func (b *bundles) minimalRootfs() (string, error) {
	root := filepath.Join(b.dir, "rootfs", "builtin")
	for _, d := range []string{"proc", "dev", "tmp", "etc", ".wavelink"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return "", err
		}
	}
	for _, f := range hostFiles {
		p := filepath.Join(root, f)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return "", err
		}
	}
	return root, nil
}

// hostFiles are bind-mounted read-only from the host into containers
// whose root filesystem has them, so that a NATS URL with a host name
// resolves inside.
var hostFiles = []string{"etc/hosts", "etc/resolv.conf"}

// hostBinds returns the binds of hostFiles that both the host and rootfs
// have.
func hostBinds(rootfs string) []sandbox.Bind {
	var out []sandbox.Bind
	for _, f := range hostFiles {
		host := "/" + f
		if _, err := os.Stat(host); err != nil {
			continue
		}
		if st, err := os.Stat(filepath.Join(rootfs, f)); err != nil || !st.Mode().IsRegular() {
			continue
		}
		out = append(out, sandbox.Bind{Source: host, Destination: host})
	}
	return out
}
