package instance

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestLineLog(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		lines  []string
		tail   string
	}{
		{"one line", []string{"hello\n"}, []string{"hello"}, "hello"},
		{"split across writes", []string{"hel", "lo\nwor", "ld\n"}, []string{"hello", "world"}, "hello | world"},
		{"crlf and a partial last line", []string{"a\r\nb\r\nc"}, []string{"a", "b", "c"}, "b | c"},
		{"blank lines are logged, not kept", []string{"x\n\n"}, []string{"x", ""}, "x"},
		{"long line in pieces", []string{strings.Repeat("z", maxLine+3) + "\n"}, []string{strings.Repeat("z", maxLine), "zzz"}, strings.Repeat("z", maxLine) + " | zzz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf := &syncBuffer{}
			l := newLineLog(zerolog.New(buf), "stderr", 2)
			for _, w := range tc.writes {
				if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			l.Flush()
			var got []string
			for line := range strings.Lines(buf.String()) {
				var ev struct{ Stream, Message string }
				if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Stream != "stderr" {
					t.Fatalf("log line %q: %v", line, err)
				}
				got = append(got, ev.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tc.lines, "\n") || len(got) != len(tc.lines) {
				t.Errorf("logged %q, want %q", short(got), short(tc.lines))
			}
			if l.Tail() != tc.tail {
				t.Errorf("tail %q, want %q", short([]string{l.Tail()}), short([]string{tc.tail}))
			}
		})
	}
}

// short abbreviates long strings for error messages.
func short(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if len(s) > 40 {
			s = s[:20] + "…(" + strconv.Itoa(len(s)) + " bytes)"
		}
		out[i] = s
	}
	return out
}
