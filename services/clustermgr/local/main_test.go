//go:build linux

package local

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wavelink/wavelink/services/registry"
)

// roleEnv makes the test binary play a part instead of running tests:
// "instance" (a stand-in for `wavelink instance`), "sleeper" (a grandchild
// that only sleeps) or "manager" (a process running a Manager, for the
// orphan test).
const roleEnv = "WL_LOCAL_TEST_ROLE"

// helloSubject is where a stand-in started with --hello announces itself.
const helloSubject = "standin.hello"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "instance":
		os.Exit(runStandin(os.Args[1:]))
	case "sleeper":
		time.Sleep(time.Hour)
		os.Exit(0)
	case "manager":
		os.Exit(runManagerProcess())
	}
	os.Exit(m.Run())
}

// runStandin behaves as an instance per the contract: it checks its command
// line, writes "ready\n" to fd 3 (after --ready-after; never if negative),
// and on SIGTERM finishes --work and exits 0. --crash-after makes it exit
// with --exit-code; --ignore-term makes it note SIGTERM and carry on;
// --child starts a sleeping grandchild in its process group; --hello
// publishes "<function> <id>" on NATS before it is ready. It writes
// <id>.pid, <id>.child, <id>.term and <id>.done into --standin-dir.
func runStandin(args []string) int {
	if len(args) == 0 || args[0] != "instance" {
		fmt.Fprintf(os.Stderr, "stand-in: want the instance subcommand, got %q\n", args)
		return 2
	}
	fs := flag.NewFlagSet("instance", flag.ContinueOnError)
	function := fs.String("function", "", "")
	natsURL := fs.String("nats", "", "")
	id := fs.String("id", "", "")
	track := fs.String("track", "", "")
	readyFD := fs.Int("ready-fd", -1, "")
	dir := fs.String("standin-dir", "", "")
	readyAfter := fs.Duration("ready-after", 0, "")
	crashAfter := fs.Duration("crash-after", -1, "")
	exitCode := fs.Int("exit-code", 3, "")
	work := fs.Duration("work", 0, "")
	ignoreTerm := fs.Bool("ignore-term", false, "")
	child := fs.Bool("child", false, "")
	hello := fs.Bool("hello", false, "")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *function == "" || *natsURL == "" || !strings.HasPrefix(*id, *function+"-") || *track != "regular" || *readyFD != 3 || fs.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "stand-in: bad command line %q\n", args)
		return 2
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	fmt.Printf(`{"level":"info","instance":%q,"message":"standin started"}`+"\n", *id)
	note := func(suffix, content string) {
		if *dir != "" {
			_ = os.WriteFile(filepath.Join(*dir, *id+suffix), []byte(content), 0o644)
		}
	}
	note(".pid", strconv.Itoa(os.Getpid()))
	if *child {
		c := exec.Command(os.Args[0])
		c.Env = append(os.Environ(), roleEnv+"=sleeper")
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "stand-in: child:", err)
			return 4
		}
		note(".child", strconv.Itoa(c.Process.Pid))
	}
	if *hello {
		nc, err := nats.Connect(*natsURL)
		if err != nil {
			fmt.Fprintln(os.Stderr, "stand-in: nats:", err)
			return 5
		}
		_ = nc.Publish(helloSubject, []byte(*function+" "+*id))
		_ = nc.Flush()
		nc.Close()
	}
	ready := os.NewFile(uintptr(*readyFD), "ready")
	var readyC, crashC <-chan time.Time
	if *readyAfter >= 0 {
		readyC = time.After(*readyAfter)
	}
	if *crashAfter >= 0 {
		crashC = time.After(*crashAfter)
	}
	for {
		select {
		case <-readyC:
			readyC = nil
			if _, err := ready.WriteString("ready\n"); err != nil {
				return 6
			}
		case <-crashC:
			fmt.Fprintln(os.Stderr, "stand-in: crashing")
			return *exitCode
		case <-term:
			note(".term", "")
			if *ignoreTerm {
				continue
			}
			time.Sleep(*work)
			note(".done", "")
			return 0
		}
	}
}

// runManagerProcess runs a Manager with two stand-in instances, prints
// "PIDS <pid> <pid>" once they are ready, and sleeps until killed.
func runManagerProcess() int {
	exe, err := os.Executable()
	if err != nil {
		return 2
	}
	m, err := New(Config{Binary: exe, NATSURL: "nats://127.0.0.1:1", Env: []string{roleEnv + "=instance"}, StartTimeout: 20 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.Scale(ctx, registry.Spec{Name: "orphan"}, 2); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for m.Ready("orphan") < 2 {
		if ctx.Err() != nil {
			return 3
		}
		time.Sleep(10 * time.Millisecond)
	}
	line := "PIDS"
	for _, in := range m.Instances() {
		line += " " + strconv.Itoa(in.PID)
	}
	fmt.Println(line)
	time.Sleep(time.Hour)
	return 0
}
