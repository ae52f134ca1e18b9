package streams_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wavelink/wavelink/streams"
	"github.com/wavelink/wavelink/streams/streamstest"
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func publish(t *testing.T, js jetstream.JetStream, fn, id string, size int) (*jetstream.PubAck, error) {
	t.Helper()
	m := nats.NewMsg(streams.InvokeSubject(fn))
	m.Header.Set(streams.HeaderMsgID, id)
	m.Data = make([]byte, size)
	return js.PublishMsg(ctxT(t), m)
}

func TestEnsureIsIdempotentAndKeepsMessages(t *testing.T) {
	env := streamstest.Start(t)
	ctx := ctxT(t)
	if _, err := streams.EnsureFunctionConsumer(ctx, env.JS, streams.ConsumerParams{Function: "f", Timeout: time.Second, MaxDeliver: 3, MaxAckPending: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := publish(t, env.JS, "f", "one", 10); err != nil {
		t.Fatal(err)
	}
	topo := streams.DefaultTopology()
	topo.Memory = true
	for i := 0; i < 2; i++ {
		if err := streams.Ensure(ctx, env.JS, topo); err != nil {
			t.Fatalf("Ensure again: %v", err)
		}
	}
	st, err := env.JS.Stream(ctx, streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("WL_INVOKE holds %d messages after re-Ensure, want 1", info.State.Msgs)
	}
	for _, b := range []string{streams.BucketFunctions, streams.BucketNodes} {
		if _, err := env.JS.KeyValue(ctx, b); err != nil {
			t.Errorf("bucket %s: %v", b, err)
		}
	}
}

func TestDuplicateIDStoredOnce(t *testing.T) {
	env := streamstest.Start(t)
	a1, err := publish(t, env.JS, "f", "same", 10)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := publish(t, env.JS, "f", "same", 10)
	if err != nil {
		t.Fatal(err)
	}
	if a1.Duplicate || !a2.Duplicate || a1.Sequence != a2.Sequence {
		t.Fatalf("acks %+v then %+v: want the second marked duplicate of the first", a1, a2)
	}
}

func TestArrivalIsRepublishedHeadersOnly(t *testing.T) {
	env := streamstest.Start(t)
	sub, err := env.NC.SubscribeSync(streams.ArrivalAll)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publish(t, env.JS, "fn-a", "x1", 100); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("no arrival: %v", err)
	}
	if m.Subject != streams.ArrivalSubject("fn-a") || len(m.Data) != 0 {
		t.Fatalf("arrival on %q with %d bytes; want %q, headers only", m.Subject, len(m.Data), streams.ArrivalSubject("fn-a"))
	}
	if got := m.Header.Get(streams.HeaderMsgID); got != "x1" {
		t.Fatalf("arrival keeps header %s = %q, want x1", streams.HeaderMsgID, got)
	}
}

func TestFullQueueRefusesNewWork(t *testing.T) {
	topo := streams.DefaultTopology()
	topo.InvokeMaxBytes = 4096
	env := streamstest.Start(t, streamstest.Options{Topology: &topo})
	var accepted int
	var lastErr error
	for i := 0; i < 20; i++ {
		_, err := publish(t, env.JS, "f", "id"+strconv.Itoa(i), 1000)
		if err != nil {
			lastErr = err
			break
		}
		accepted++
	}
	if lastErr == nil {
		t.Fatal("a 4 KiB queue accepted 20 KiB")
	}
	if !streams.IsQueueFull(lastErr) {
		t.Fatalf("error %v is not recognised as a full queue", lastErr)
	}
	st, err := env.JS.Stream(ctxT(t), streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if int(info.State.Msgs) != accepted || info.State.FirstSeq != 1 {
		t.Fatalf("stream holds %d messages from seq %d; want all %d accepted ones from seq 1 (discard-new)", info.State.Msgs, info.State.FirstSeq, accepted)
	}
	if streams.IsQueueFull(errors.New("maximum bytes exceeded")) {
		t.Fatal("a plain error is not a JetStream refusal")
	}
}

func TestRestartOnSameDataFolderKeepsInvocations(t *testing.T) {
	dir := t.TempDir()
	start := func() (*streams.Server, jetstream.JetStream, *nats.Conn) {
		srv, err := streams.StartServer(streams.ServerConfig{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		nc, err := srv.Connect("test")
		if err != nil {
			t.Fatal(err)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		if err := streams.Ensure(ctxT(t), js, streams.DefaultTopology()); err != nil {
			t.Fatal(err)
		}
		return srv, js, nc
	}
	srv, js, nc := start()
	if _, err := streams.EnsureFunctionConsumer(ctxT(t), js, streams.ConsumerParams{Function: "f", Timeout: time.Second, MaxDeliver: 3, MaxAckPending: 10}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if _, err := publish(t, js, "f", "id"+strconv.Itoa(i), 64); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	srv.Shutdown()

	srv, js, nc = start()
	defer srv.Shutdown()
	defer nc.Close()
	c, err := streams.FunctionConsumer(ctxT(t), js, "f")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.NumPending != 50 {
		t.Fatalf("after restart the consumer has %d pending, want 50", info.NumPending)
	}
}

func TestConsumerParamsRejectBadInput(t *testing.T) {
	good := streams.ConsumerParams{Function: "f", Timeout: time.Second, MaxDeliver: 1, MaxAckPending: 1}
	for name, mod := range map[string]func(*streams.ConsumerParams){
		"name":          func(p *streams.ConsumerParams) { p.Function = "F.x" },
		"timeout":       func(p *streams.ConsumerParams) { p.Timeout = 0 },
		"maxDeliver":    func(p *streams.ConsumerParams) { p.MaxDeliver = 0 },
		"maxAckPending": func(p *streams.ConsumerParams) { p.MaxAckPending = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			p := good
			mod(&p)
			if _, err := p.Config(); !errors.Is(err, streams.ErrInvalidConsumer) {
				t.Fatalf("Config() error = %v, want ErrInvalidConsumer", err)
			}
		})
	}
	if _, err := good.Config(); err != nil {
		t.Fatal(err)
	}
	if w := streams.AckWait(10 * time.Minute); w != streams.MaxAckWait {
		t.Fatalf("AckWait of a 10 min timeout = %s, want the cap %s", w, streams.MaxAckWait)
	}
}

func TestTopologyValidate(t *testing.T) {
	bad := streams.DefaultTopology()
	bad.InvokeMaxBytes = 0
	if err := bad.Validate(); !errors.Is(err, streams.ErrInvalidTopology) {
		t.Fatalf("Validate() = %v, want ErrInvalidTopology", err)
	}
}

func TestStartServerRejectsBadConfig(t *testing.T) {
	if _, err := streams.StartServer(streams.ServerConfig{}); err == nil {
		t.Fatal("a server with neither data folder nor memory storage started")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where memory storage would make its folder
	if _, err := streams.StartServer(streams.ServerConfig{Memory: true, Listen: "nonsense"}); err == nil {
		t.Fatal("a bad listen address was accepted")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("a refused server left %s behind", filepath.Join(tmp, left[0].Name()))
	}
}

func TestCreateMissingKeepsExistingSizesAndRacesSafely(t *testing.T) {
	topo := streams.DefaultTopology()
	topo.Memory = true
	topo.InvokeMaxBytes = 12345
	env := streamstest.Start(t, streamstest.Options{Topology: &topo})
	ctx := ctxT(t)
	// Two roles reaching the server at once, with default sizes.
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() { errs <- streams.CreateMissing(ctx, env.JS, streams.DefaultTopology()) }()
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st, err := env.JS.Stream(ctx, streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.CachedInfo().Config.MaxBytes; got != 12345 {
		t.Fatalf("WL_INVOKE byte limit %d after CreateMissing, want the existing 12345", got)
	}
}

func TestCreateMissingOnAnEmptyServer(t *testing.T) {
	srv, err := streams.StartServer(streams.ServerConfig{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect("t")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := ctxT(t)
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() { errs <- streams.CreateMissing(ctx, js, streams.DefaultTopology()) }()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent CreateMissing: %v", err)
		}
	}
	for _, b := range []string{streams.BucketFunctions, streams.BucketNodes} {
		if _, err := js.KeyValue(ctx, b); err != nil {
			t.Errorf("bucket %s: %v", b, err)
		}
	}
}
