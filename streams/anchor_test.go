package streams_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

// lastBlockIndex returns the highest index among WL_INVOKE's block files
// under dir: the file store numbers each new block file one higher.
func lastBlockIndex(t *testing.T, dir string) int {
	t.Helper()
	last := -1
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".blk") || filepath.Base(filepath.Dir(filepath.Dir(p))) != streams.StreamInvoke {
			return err
		}
		n, err := strconv.Atoi(strings.TrimSuffix(d.Name(), ".blk"))
		if err == nil && n > last {
			last = n
		}
		return nil
	})
	if err != nil || last < 0 {
		t.Fatalf("no block file of %s under %s (%v)", streams.StreamInvoke, dir, err)
	}
	return last
}

// drainOneAtATime publishes n invocations of fn (ids idPrefix0, idPrefix1,
// ...) and takes and acks each before the next, as a caller waiting for
// every answer does.
func drainOneAtATime(t *testing.T, js jetstream.JetStream, cons jetstream.Consumer, fn, idPrefix string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := publish(t, js, fn, idPrefix+strconv.Itoa(i), 64); err != nil {
			t.Fatal(err)
		}
		msgs, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second), jetstream.FetchPriorityGroup(streams.PriorityGroup))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range msgs.Messages() {
			got++
			if err := m.DoubleAck(ctxT(t)); err != nil {
				t.Fatal(err)
			}
		}
		if got != 1 {
			t.Fatalf("invocation %d: fetched %d messages (%v)", i, got, msgs.Error())
		}
	}
}

func startAnchor(t *testing.T, a *streams.Anchor) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("anchor: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("anchor did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func anchors(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	st, err := js.Stream(ctxT(t), streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctxT(t), jetstream.WithSubjectFilter(streams.AnchorSubject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[streams.AnchorSubject]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The file store makes a new block file whenever an ack empties the stream;
// with the anchor's message in the last block it does not.
func TestAnchorKeepsAcksFromRemakingTheBlockFile(t *testing.T) {
	dir := t.TempDir()
	env := streamstest.Start(t, streamstest.Options{DataDir: dir})
	cons, err := streams.EnsureFunctionConsumer(ctxT(t), env.JS, streams.ConsumerParams{Function: "f", Timeout: 5 * time.Second, MaxDeliver: 3, MaxAckPending: 10})
	if err != nil {
		t.Fatal(err)
	}
	const calls = 200

	before := lastBlockIndex(t, dir)
	drainOneAtATime(t, env.JS, cons, "f", "without-", calls)
	without := lastBlockIndex(t, dir) - before
	if without < calls/2 {
		t.Logf("without an anchor %d calls made %d block files: the file store no longer remakes its last block on every emptying ack, and the anchor may no longer be needed", calls, without)
	}

	a := streams.NewAnchor(env.JS)
	a.Interval = 20 * time.Millisecond
	a.OnError = func(err error) { t.Errorf("anchor: %v", err) }
	stop := startAnchor(t, a)
	waitFor(t, "the anchor", func() bool { return anchors(t, env.JS) == 1 })
	before = lastBlockIndex(t, dir)
	drainOneAtATime(t, env.JS, cons, "f", "with-", calls)
	with := lastBlockIndex(t, dir) - before
	t.Logf("%d one-at-a-time calls made %d block files without the anchor, %d with it", calls, without, with)
	if with > 2 {
		t.Fatalf("with the anchor %d calls made %d block files, want at most 2", calls, with)
	}

	info, err := cons.Info(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.NumPending != 0 || info.NumAckPending != 0 {
		t.Fatalf("the function's consumer sees %d pending and %d ack-pending beside the anchor, want none", info.NumPending, info.NumAckPending)
	}
	stop()
	st, err := env.JS.Stream(ctxT(t), streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	if si, err := st.Info(ctxT(t)); err != nil || si.State.Msgs != 0 {
		t.Fatalf("WL_INVOKE holds %v messages after the anchor stopped (%v), want 0", si.State.Msgs, err)
	}
}

// Two control planes on one server anchor the stream with one message
// between them, and their anchors' arrival notices name no function.
func TestAnchorsOfTwoControlPlanesLeaveOneMessage(t *testing.T) {
	env := streamstest.Start(t, streamstest.Options{DataDir: t.TempDir()})
	arrivals, err := env.NC.SubscribeSync(streams.ArrivalAll)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		a := streams.NewAnchor(env.JS)
		a.Interval = 15 * time.Millisecond
		a.OnError = func(err error) { t.Errorf("anchor %d: %v", i, err) }
		startAnchor(t, a)
	}
	time.Sleep(200 * time.Millisecond)
	waitFor(t, "one anchor", func() bool { return anchors(t, env.JS) == 1 })
	m, err := arrivals.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if fn := streams.FunctionFromSubject(m.Subject); streams.ValidFunctionName(fn) {
		t.Fatalf("the anchor's arrival notice %s names function %q", m.Subject, fn)
	}
}

func TestAnchorLeavesMemoryStorageAlone(t *testing.T) {
	env := streamstest.Start(t)
	a := streams.NewAnchor(env.JS)
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run on a memory stream did not return")
	}
	if n := anchors(t, env.JS); n != 0 {
		t.Fatalf("memory stream holds %d anchors", n)
	}
}

func TestAnchorInput(t *testing.T) {
	env := streamstest.Start(t)
	a := streams.NewAnchor(env.JS)
	a.Interval = 0
	if err := a.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "interval") {
		t.Fatalf("zero interval: got %v, want an error naming the interval", err)
	}

	// A stream that does not exist is reported on every try, and Run still
	// stops when told.
	a = streams.NewAnchor(env.JS)
	a.Stream, a.Interval = "NO_SUCH_STREAM", 10*time.Millisecond
	reported := make(chan error, 100)
	a.OnError = func(err error) {
		select {
		case reported <- err:
		default:
		}
	}
	stop := startAnchor(t, a)
	select {
	case err := <-reported:
		if !strings.Contains(err.Error(), "NO_SUCH_STREAM") {
			t.Fatalf("error %q does not name the stream", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a missing stream was not reported")
	}
	stop()
}
