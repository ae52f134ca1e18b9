// Command hello is an example packaged function: a program that serves HTTP
// on $PORT, as every WaveLink function does. It answers each invocation with
// a greeting built from $GREETING and the request body, followed by the
// invocation's CloudEvent id (its ce-id header).
//
// Build it as a static binary into a root filesystem folder and deploy it:
//
//	CGO_ENABLED=0 go build -o examples/hello/rootfs/hello ./examples/hello
//	wavelink fn deploy -f examples/hello/hello.yaml
//	wavelink fn invoke hello -d world
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	greeting := os.Getenv("GREETING")
	if greeting == "" {
		greeting = "hello"
	}
	port := os.Getenv("PORT")
	if port == "" {
		fmt.Fprintln(os.Stderr, "hello: $PORT is not set")
		os.Exit(2)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%s, %s (invocation %s)\n", greeting, body, r.Header.Get("ce-id"))
	})
	if err := http.ListenAndServe("127.0.0.1:"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}
