//go:build linux

package local

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/wavelink/wavelink/streams/streamstest"
)

func TestInstancesGetTheContractCommandLine(t *testing.T) {
	t.Parallel()
	env := streamstest.Start(t)
	sub, err := env.NC.SubscribeSync(helloSubject)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{config: func(c *Config) { c.NATSURL = env.URL }}, "--hello")
	h.scale("hello", 2)
	waitFor(t, 10*time.Second, "2 ready", func() bool { return h.m.Ready("hello") == 2 })
	var got []string
	for range 2 {
		msg, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("no hello from an instance: %v", err)
		}
		got = append(got, string(msg.Data))
	}
	var want []string
	for _, in := range h.m.Instances() {
		want = append(want, "hello "+in.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("instances announced %q, want %q", got, want)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestInstanceOutput(t *testing.T) {
	t.Parallel()
	t.Run("log dir", func(t *testing.T) {
		t.Parallel()
		logDir := t.TempDir() + "/logs"
		h := newHarness(t, harnessOptions{config: func(c *Config) { c.LogDir = logDir }})
		h.scale("logged", 1)
		waitFor(t, 10*time.Second, "ready", func() bool { return h.m.Ready("logged") == 1 })
		id := h.m.Instances()[0].ID
		b, err := os.ReadFile(LogPath(logDir, "logged", id))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"message":"standin started"`) {
			t.Fatalf("log file holds %q", b)
		}
	})
	t.Run("logger", func(t *testing.T) {
		t.Parallel()
		var buf syncBuffer
		h := newHarness(t, harnessOptions{config: func(c *Config) { c.Logger = zerolog.New(&buf) }})
		h.scale("tagged", 1)
		waitFor(t, 10*time.Second, "ready", func() bool { return h.m.Ready("tagged") == 1 })
		id := h.m.Instances()[0].ID
		type line struct {
			Component string `json:"component"`
			Function  string `json:"function"`
			Instance  string `json:"instance"`
			Level     string `json:"level"`
			Output    struct {
				Message string `json:"message"`
			} `json:"output"`
		}
		found := func() bool {
			sc := bufio.NewScanner(strings.NewReader(buf.String()))
			for sc.Scan() {
				var l line
				if json.Unmarshal(sc.Bytes(), &l) == nil && l.Output.Message == "standin started" {
					return l.Component == "clustermgr-local" && l.Function == "tagged" && l.Instance == id && l.Level == "info"
				}
			}
			return false
		}
		waitFor(t, 5*time.Second, "the instance's output line, tagged, in the manager's log", found)
	})
}
