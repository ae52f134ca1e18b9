package gateway

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// maxPooledBuffer bounds the buffers kept for reuse, so one large body does
// not pin its memory.
const maxPooledBuffer = 1 << 20

// readBody reads the request body into a pooled buffer, answering 413 past
// MaxBody. Give the buffer back with putBuf.
func (g *Gateway) readBody(r *http.Request) (*bytes.Buffer, *httpError) {
	if r.ContentLength > g.cfg.MaxBody {
		return nil, g.tooLarge(r.ContentLength)
	}
	buf := g.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, g.cfg.MaxBody+1))
	if err != nil {
		g.putBuf(buf)
		return nil, &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf("reading the request body: %v", err)}
	}
	if int64(buf.Len()) > g.cfg.MaxBody {
		g.putBuf(buf)
		return nil, g.tooLarge(-1)
	}
	return buf, nil
}

func (g *Gateway) tooLarge(n int64) *httpError {
	if n >= 0 {
		return &httpError{code: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("request body of %d bytes is over the limit of %d bytes", n, g.cfg.MaxBody)}
	}
	return &httpError{code: http.StatusRequestEntityTooLarge,
		msg: fmt.Sprintf("request body is over the limit of %d bytes", g.cfg.MaxBody)}
}

func (g *Gateway) putBuf(b *bytes.Buffer) {
	if b == nil || b.Cap() > maxPooledBuffer {
		return
	}
	g.bufs.Put(b)
}
