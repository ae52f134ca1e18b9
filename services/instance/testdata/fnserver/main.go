// Command fnserver is a packaged function for the instance runtime's tests.
// It serves HTTP on $PORT and answers each POST with JSON describing the
// request and itself. With $CALLS_DIR set it records each call there as a
// file named <ce-id>.<pid>; the header x-hang-first makes the first call of
// an invocation id hang until the client goes away, so a test can kill the
// process mid-call. The header x-status sets the answer's status. With the
// argument -fail it writes to stderr and exits 3 before listening; with
// -no-listen it prints its pid and never listens.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

type reply struct {
	PID    int               `json:"pid"`
	ID     string            `json:"id"`
	Body   string            `json:"body"`
	Header map[string]string `json:"header"`
	Cwd    string            `json:"cwd"`
	Env    string            `json:"env"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-fail" {
		fmt.Fprintln(os.Stderr, "fnserver: refusing to start as asked")
		os.Exit(3)
	}
	if len(os.Args) > 1 && os.Args[1] == "-no-listen" {
		fmt.Println("fnserver not listening, pid", os.Getpid())
		time.Sleep(time.Hour)
	}
	port := os.Getenv("PORT")
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fnserver:", err)
		os.Exit(1)
	}
	fmt.Println("fnserver listening on", l.Addr())
	if err := http.Serve(l, http.HandlerFunc(serve)); err != nil {
		fmt.Fprintln(os.Stderr, "fnserver:", err)
		os.Exit(1)
	}
}

func serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("Ce-Id")
	first := true
	if dir := os.Getenv("CALLS_DIR"); dir != "" {
		old, _ := filepath.Glob(filepath.Join(dir, id+".*"))
		first = len(old) == 0
		_ = os.WriteFile(filepath.Join(dir, id+"."+strconv.Itoa(os.Getpid())), nil, 0o644)
	}
	if first && r.Header.Get("X-Hang-First") != "" {
		<-r.Context().Done()
		return
	}
	status := http.StatusOK
	if s := r.Header.Get("X-Status"); s != "" {
		status, _ = strconv.Atoi(s)
	}
	h := map[string]string{}
	for k := range r.Header {
		h[k] = r.Header.Get(k)
	}
	cwd, _ := os.Getwd()
	out, _ := json.Marshal(reply{PID: os.Getpid(), ID: id, Body: string(body), Header: h, Cwd: cwd, Env: os.Getenv("GREETING")})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}
