package instance

import (
	"bytes"
	"strings"
	"sync"

	"github.com/rs/zerolog"
)

// maxLine bounds one logged line of a function's output; a longer line is
// logged in pieces.
const maxLine = 16 << 10

// lineLog is an io.Writer that logs a process's output stream one line per
// log event, and keeps the last few lines for error messages.
type lineLog struct {
	log    zerolog.Logger
	stream string
	keep   int

	mu      sync.Mutex
	partial []byte
	tail    []string
}

func newLineLog(log zerolog.Logger, stream string, keep int) *lineLog {
	return &lineLog{log: log, stream: stream, keep: keep}
}

// Write logs every complete line in b and holds back a trailing partial one.
func (l *lineLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.partial = append(l.partial, b...)
			for len(l.partial) >= maxLine {
				l.emit(l.partial[:maxLine])
				l.partial = append(l.partial[:0], l.partial[maxLine:]...)
			}
			break
		}
		if len(l.partial) > 0 {
			l.partial = append(l.partial, b[:i]...)
			l.emit(l.partial)
			l.partial = l.partial[:0]
		} else {
			l.emit(b[:i])
		}
		b = b[i+1:]
	}
	return n, nil
}

// Flush logs a trailing partial line, once the stream has ended.
func (l *lineLog) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.emit(l.partial)
		l.partial = l.partial[:0]
	}
}

func (l *lineLog) emit(b []byte) {
	for len(b) > maxLine {
		l.emitOne(b[:maxLine])
		b = b[maxLine:]
	}
	l.emitOne(b)
}

func (l *lineLog) emitOne(b []byte) {
	line := strings.TrimRight(string(b), "\r")
	l.log.Info().Str("stream", l.stream).Msg(line)
	if l.keep == 0 || line == "" {
		return
	}
	if len(l.tail) == l.keep {
		copy(l.tail, l.tail[1:])
		l.tail = l.tail[:l.keep-1]
	}
	l.tail = append(l.tail, line)
}

// Tail returns the last lines kept, joined with " | ", or "" for none.
func (l *lineLog) Tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.tail, " | ")
}
