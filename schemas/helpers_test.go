package schemas

import (
	"bytes"
	"errors"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"
)

// wantFieldError fails unless err is a *FieldError for field that wraps
// ErrInvalid.
func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a *FieldError for %q", field)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("got %T %v, want a *FieldError for %q", err, err, field)
	}
	if fe.Field != field {
		t.Fatalf("error names %q, want %q (error: %v)", fe.Field, field, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("errors.Is(%v, ErrInvalid) is false", err)
	}
	if fe.Problem == "" {
		t.Fatalf("error for %q says no problem", field)
	}
}

// diffInvocation returns the name of the first field where a and b differ,
// or "" when they are equal (nil and empty maps and slices are equal).
func diffInvocation(a, b Invocation) string {
	switch {
	case a.ID != b.ID:
		return "ID"
	case a.Source != b.Source:
		return "Source"
	case a.Type != b.Type:
		return "Type"
	case a.Subject != b.Subject:
		return "Subject"
	case !a.Time.Equal(b.Time):
		return "Time"
	case a.DataContentType != b.DataContentType:
		return "DataContentType"
	case a.DataSchema != b.DataSchema:
		return "DataSchema"
	case !maps.Equal(a.Extensions, b.Extensions):
		return "Extensions"
	case !equalHeader(a.Header, b.Header):
		return "Header"
	case !bytes.Equal(a.Data, b.Data):
		return "Data"
	}
	return ""
}

func equalHeader(a, b http.Header) bool {
	return maps.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func asFieldError(err error, target **FieldError) bool {
	return errors.As(err, target) && errors.Is(err, ErrInvalid)
}

// fuzzNow is the fixed clock of the fuzz targets.
func fuzzNow() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
