package gateway

import (
	"context"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// Server timeouts that guard against slow or idle clients.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// cutOffGrace is how long requests released at the end of a shutdown
	// that ran out of time get to write their answer.
	cutOffGrace = time.Second
)

// ListenAndServe listens on Config.Addr and serves until ctx ends; see
// Serve. It returns an error naming the address when it cannot listen.
func (g *Gateway) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", g.cfg.Addr)
	if err != nil {
		return fmt.Errorf("gateway: listen on %s: %w", g.cfg.Addr, err)
	}
	return g.Serve(ctx, ln)
}

// Serve answers HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge) on
// ln until ctx ends, then shuts down gracefully: it stops accepting, and
// lets requests in flight, including those waiting for synchronous results,
// finish within Config.ShutdownTimeout. Requests still waiting after that
// are answered 503 (their invocations stay queued) and their connections
// closed. It returns nil after a graceful shutdown, an error wrapping
// context.DeadlineExceeded when requests had to be cut off, ErrClosed after
// Close, or the server's error (for instance a failed listener; every
// connection is closed before Serve returns it).
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	return g.serve(ctx, ln, g, g.log)
}

// serve runs Serve's server and shutdown with handler h, logging to log.
func (g *Gateway) serve(ctx context.Context, ln net.Listener, h http.Handler, log zerolog.Logger) error {
	if g.closed.Load() {
		_ = ln.Close()
		return ErrClosed
	}
	srv := g.server(h, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Msg("serving")
	select {
	case err := <-errc:
		// The listener failed; connections already accepted would otherwise
		// go on being served after Serve returns.
		_ = srv.Close()
		return fmt.Errorf("gateway: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info().Dur("timeout", g.cfg.ShutdownTimeout).Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err == nil {
		<-errc
		log.Info().Msg("shut down")
		return nil
	}
	// Out of time: release the waiting requests, give them a moment to
	// answer, then close what is left.
	g.stopped.Do(func() { close(g.stop) })
	gctx, gcancel := context.WithTimeout(context.Background(), cutOffGrace)
	defer gcancel()
	if srv.Shutdown(gctx) != nil {
		_ = srv.Close()
	}
	<-errc
	log.Warn().Dur("timeout", g.cfg.ShutdownTimeout).Msg("requests still in flight at the end of the shutdown were cut off")
	return fmt.Errorf("gateway: shutdown: requests still in flight after %s were cut off: %w", g.cfg.ShutdownTimeout, context.DeadlineExceeded)
}

// server is the http.Server serve runs: HTTP/1.1 and h2c, with handler h
// and net/http's own messages sent to log.
func (g *Gateway) server(h http.Handler, log zerolog.Logger) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           h,
		Protocols:         &protocols,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          stdlog.New(httpLogWriter{log}, "", 0),
	}
}

// httpLogWriter sends net/http's own messages to a zerolog logger.
type httpLogWriter struct{ log zerolog.Logger }

func (w httpLogWriter) Write(p []byte) (int, error) {
	msg := string(p)
	if n := len(msg); n > 0 && msg[n-1] == '\n' {
		msg = msg[:n-1]
	}
	w.log.Warn().Str("source", "net/http").Msg(msg)
	return len(p), nil
}
