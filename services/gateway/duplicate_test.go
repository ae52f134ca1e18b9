package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wavelink/wavelink/schemas"
	"github.com/wavelink/wavelink/streams"
)

// refs is how many requests wait for invocation id (0: none).
func (r *replies) refs(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.byID[id]; ok {
		return w.refs
	}
	return 0
}

// storedInvocations is how many invocations WL_INVOKE ever stored.
func storedInvocations(t testing.TB, f *fixture) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := f.env.JS.Stream(ctx, streams.StreamInvoke)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

func TestAsyncDuplicateAnswersTheSameResultURL(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := map[string]string{"Prefer": "respond-async", "Ce-Id": "dup-a"}
	for i, wantDup := range []bool{false, true} {
		resp, body := f.request(t, http.MethodPost, "/functions/echo", "x", h)
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") != "/results/dup-a" {
			t.Fatalf("request %d: status %d Location %q, want 202 /results/dup-a", i, resp.StatusCode, resp.Header.Get("Location"))
		}
		if got := decodeJSON(t, body)["duplicate"]; got != wantDup {
			t.Errorf("request %d: duplicate %v, want %v", i, got, wantDup)
		}
	}
	if n := storedInvocations(t, f); n != 1 {
		t.Errorf("%d invocations stored, want 1", n)
	}
}

func TestSyncDuplicateJoinsTheWaitingRequest(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	r := startResponder(t, f.env, "echo", func(inv schemas.Invocation) *schemas.Result {
		arrived <- struct{}{}
		<-release
		return echo(inv)
	})
	type answer struct {
		code int
		body string
	}
	answers := make(chan answer, 2)
	send := func() {
		resp, body := f.request(t, http.MethodPost, "/functions/echo", "once", map[string]string{"Ce-Id": "dup-s"})
		answers <- answer{resp.StatusCode, body}
	}
	go send()
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("the first invocation never reached the instance")
	}
	go send()
	deadline := time.Now().Add(5 * time.Second)
	for f.gw.replies.refs("dup-s") < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := f.gw.replies.refs("dup-s"); n != 2 {
		close(release)
		t.Fatalf("%d requests wait for dup-s, want the retry to join the first", n)
	}
	close(release)
	for range 2 {
		a := <-answers
		if a.code != http.StatusOK || a.body != "once" {
			t.Errorf("answer %d %q, want 200 once", a.code, a.body)
		}
	}
	r.next(t) // the one invocation
	select {
	case got := <-r.got:
		t.Errorf("the instance ran %q a second time", got.inv.ID)
	default:
	}
	if n := storedInvocations(t, f); n != 1 {
		t.Errorf("%d invocations stored, want 1", n)
	}
}

func TestSyncDuplicateWithoutWaiterIsConflict(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if resp, body := f.request(t, http.MethodPost, "/functions/echo", "x", map[string]string{"Prefer": "respond-async", "Ce-Id": "dup-c"}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("async: %d %q", resp.StatusCode, body)
	}
	resp, body := f.request(t, http.MethodPost, "/functions/echo", "x", map[string]string{"Ce-Id": "dup-c"})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("status %d body %q, want 409", resp.StatusCode, body)
	}
	m := decodeJSON(t, body)
	msg, _ := m["error"].(string)
	for _, want := range []string{"already accepted", "not run again", "respond-async"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if m["invocation"] != "dup-c" {
		t.Errorf("invocation %v, want dup-c", m["invocation"])
	}
	if n := f.gw.replies.waiting(); n != 0 {
		t.Errorf("%d waiters left", n)
	}
}

func TestClientGoneStopsWaiting(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	startResponder(t, f.env, "echo", func(inv schemas.Invocation) *schemas.Result {
		arrived <- struct{}{}
		<-release
		return echo(inv)
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.srv.URL+"/functions/echo", strings.NewReader("bye"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := f.srv.Client().Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		done <- err
	}()
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the invocation never reached the instance")
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled request got an answer")
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.gw.replies.waiting() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := f.gw.replies.waiting(); n != 0 {
		t.Fatalf("%d waiters left after the client went away", n)
	}
	close(release) // the invocation still runs; its result is unclaimed
	deadline = time.Now().Add(5 * time.Second)
	for counterValue(t, f.gw, "wavelink_gateway_unclaimed_results_total") < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if v := counterValue(t, f.gw, "wavelink_gateway_unclaimed_results_total"); v != 1 {
		t.Errorf("unclaimed results %v, want 1", v)
	}
}
