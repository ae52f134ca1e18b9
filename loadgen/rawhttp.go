package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// rawConn sends one prepared HTTP/1.1 request at a time over a keep-alive
// connection and reads the answer with as little work as possible. The
// throughput phase of a measurement runs on two cores beside the system it
// measures, so the load generator's own CPU is taken from the system under
// test; net/http's client costs several times more per request than this.
type rawConn struct {
	addr string
	req  []byte
	conn net.Conn
	br   *bufio.Reader
}

// newRawPost prepares a POST of body to rawURL with the given extra header
// lines ("Name: value").
func newRawPost(rawURL string, body []byte, headers ...string) (*rawConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("loadgen: %s: only http:// is supported", rawURL)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", u.RequestURI(), u.Host, len(body))
	for _, h := range headers {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return &rawConn{addr: u.Host, req: b.Bytes()}, nil
}

// do sends the request and returns the answer's status and body length.
func (c *rawConn) do(ctx context.Context) (status, n int, err error) {
	if c.conn == nil {
		d := net.Dialer{Timeout: 5 * time.Second}
		if c.conn, err = d.DialContext(ctx, "tcp", c.addr); err != nil {
			return 0, 0, err
		}
		c.br = bufio.NewReaderSize(c.conn, 16<<10)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.conn.SetDeadline(dl)
	}
	if _, err = c.conn.Write(c.req); err == nil {
		status, n, err = c.readAnswer()
	}
	if err != nil {
		c.close()
	}
	return status, n, err
}

func (c *rawConn) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

var errMalformed = errors.New("loadgen: malformed HTTP answer")

func (c *rawConn) readAnswer() (status, n int, err error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, 0, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, errMalformed
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, errMalformed
	}
	length, chunked, closeAfter := -1, false, false
	for {
		line, err = c.br.ReadSlice('\n')
		if err != nil {
			return 0, 0, err
		}
		if len(line) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, 0, errMalformed
		}
		v = bytes.TrimSpace(v)
		switch {
		case asciiEqualFold(k, "content-length"):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return 0, 0, errMalformed
			}
		case asciiEqualFold(k, "transfer-encoding"):
			chunked = asciiEqualFold(v, "chunked")
		case asciiEqualFold(k, "connection"):
			closeAfter = asciiEqualFold(v, "close")
		}
	}
	switch {
	case chunked:
		n, err = c.readChunked()
	case length >= 0:
		var m int64
		m, err = io.CopyN(io.Discard, c.br, int64(length))
		n = int(m)
	default:
		return 0, 0, fmt.Errorf("%w: no length", errMalformed)
	}
	if closeAfter {
		c.close()
	}
	return status, n, err
}

func (c *rawConn) readChunked() (int, error) {
	total := 0
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return total, err
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(string(line)), ";")
		size, err := strconv.ParseInt(sizeHex, 16, 32)
		if err != nil || size < 0 {
			return total, errMalformed
		}
		if size == 0 {
			// Trailers end with an empty line.
			for {
				line, err = c.br.ReadSlice('\n')
				if err != nil {
					return total, err
				}
				if len(line) <= 2 {
					return total, nil
				}
			}
		}
		if _, err := io.CopyN(io.Discard, c.br, size+2); err != nil {
			return total, err
		}
		total += int(size)
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
