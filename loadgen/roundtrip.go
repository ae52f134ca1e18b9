package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// MeasureProcessRoundTrip measures the cost of one round trip between two
// processes on this machine: it starts `exe args...`, which must serve
// ServeTCPEcho and print its address on its first line of output, and sends
// it 64-byte messages one at a time over loopback TCP. A warm invocation
// through the gateway makes two such round trips (client to gateway, gateway
// to instance) that the in-process JetStream floor does not, so this figure
// says how much of the gap is the machine rather than WaveLink.
func MeasureProcessRoundTrip(ctx context.Context, n int, exe string, args ...string) (Latencies, error) {
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return Latencies{}, err
	}
	if err := cmd.Start(); err != nil {
		return Latencies{}, fmt.Errorf("round trip: start %s: %w", exe, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return Latencies{}, fmt.Errorf("round trip: echo server gave no address: %w", err)
	}
	conn, err := net.DialTimeout("tcp", strings.TrimSpace(line), 5*time.Second)
	if err != nil {
		return Latencies{}, err
	}
	defer conn.Close()
	msg, buf := make([]byte, 64), make([]byte, 64)
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n+50 && ctx.Err() == nil; i++ {
		t0 := time.Now()
		if _, err := conn.Write(msg); err != nil {
			return Latencies{}, err
		}
		if _, err := io.ReadFull(conn, buf); err != nil {
			return Latencies{}, err
		}
		if i >= 50 { // the first ones warm up
			lat = append(lat, time.Since(t0))
		}
	}
	return Summarise(lat), ctx.Err()
}

// ServeTCPEcho listens on a loopback port, writes its address and a newline
// to w, and echoes whatever each connection sends until ctx ends.
func ServeTCPEcho(ctx context.Context, w io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); _ = ln.Close() }()
	fmt.Fprintln(w, ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			return nil
		}
		go func() {
			defer c.Close()
			_, _ = io.Copy(c, c)
		}()
	}
}
