package streams

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ServerConfig configures the embedded NATS server.
type ServerConfig struct {
	// DataDir is where JetStream keeps file storage. Required unless Memory.
	DataDir string
	// Memory keeps JetStream state in memory only: nothing survives a restart.
	Memory bool
	// Listen is the host:port clients outside the process connect to
	// ("127.0.0.1:4222"). Empty means in-process connections only.
	Listen string
	// MaxMemory and MaxStore bound JetStream's memory and file storage in
	// bytes; zero lets the server choose.
	MaxMemory, MaxStore int64
	// ReadyTimeout bounds the wait for the server to accept connections.
	ReadyTimeout time.Duration
}

// Server is a running embedded NATS server with JetStream.
type Server struct {
	ns      *server.Server
	cfg     ServerConfig
	tempDir string // removed on shutdown; set with memory storage
}

// StartServer starts an embedded NATS server with JetStream enabled. It
// returns an error naming the problem when the data folder cannot be used or
// the listen address is taken.
func StartServer(cfg ServerConfig) (*Server, error) {
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 10 * time.Second
	}
	opts := &server.Options{
		ServerName:         "wavelink",
		JetStream:          true,
		NoSigs:             true,
		NoLog:              true,
		MaxPayload:         8 << 20,
		JetStreamMaxMemory: cfg.MaxMemory,
		JetStreamMaxStore:  cfg.MaxStore,
	}
	// The listen address first: a temporary folder made for memory storage
	// must not be left behind when it is refused.
	if cfg.Listen == "" {
		opts.DontListen = true
	} else {
		host, portStr, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("streams: listen address %q: %w", cfg.Listen, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("streams: listen address %q: bad port", cfg.Listen)
		}
		if port == 0 {
			port = server.RANDOM_PORT
		}
		opts.Host, opts.Port = host, port
		// Fail early and clearly when the port is taken: the server itself
		// would only log it.
		if port != server.RANDOM_PORT {
			l, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				return nil, fmt.Errorf("streams: NATS listen address %s: %w", cfg.Listen, err)
			}
			_ = l.Close()
		}
	}
	tempDir := "" // made here for memory storage, removed on failure and at shutdown
	if cfg.Memory {
		dir, err := os.MkdirTemp("", "wavelink-nats-")
		if err != nil {
			return nil, fmt.Errorf("streams: temporary folder for the embedded server: %w", err)
		}
		opts.StoreDir, tempDir = dir, dir
	} else {
		if cfg.DataDir == "" {
			return nil, errors.New("streams: the embedded server needs a data folder (or memory storage)")
		}
		dir := filepath.Join(cfg.DataDir, "jetstream")
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("streams: data folder %q: %w", cfg.DataDir, err)
		}
		opts.StoreDir = dir
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		if tempDir != "" {
			_ = os.RemoveAll(tempDir)
		}
		return nil, fmt.Errorf("streams: embedded server: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(cfg.ReadyTimeout) {
		ns.Shutdown()
		if tempDir != "" {
			_ = os.RemoveAll(tempDir)
		}
		return nil, fmt.Errorf("streams: embedded server not ready within %s", cfg.ReadyTimeout)
	}
	return &Server{ns: ns, cfg: cfg, tempDir: tempDir}, nil
}

// ClientURL is the URL that processes outside this one connect to, or "" when
// the server accepts in-process connections only.
func (s *Server) ClientURL() string {
	if s.cfg.Listen == "" {
		return ""
	}
	return s.ns.ClientURL()
}

// Connect opens an in-process client connection to the server.
func (s *Server) Connect(name string, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.Name(name), nats.InProcessServer(s.ns), nats.MaxReconnects(-1)}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("streams: in-process connection: %w", err)
	}
	return nc, nil
}

// Shutdown stops the server and waits for it to finish. With memory storage
// it also removes the temporary store.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
}
