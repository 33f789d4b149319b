package handlers

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store"
)

func TestParseInstant_TakesRFC3339AndRefusesTheRest(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Time{
		"2026-03-01T12:00:00Z":             time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		"2026-03-01T13:00:00.000123+01:00": time.Date(2026, 3, 1, 12, 0, 0, 123000, time.UTC),
		"2026-03-01T13:00:00 01:00":        time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), // an unescaped + in a query string
		"2026-03-01 12:00:00Z":             time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
	} {
		if got, err := parseInstant(in); err != nil || !got.Equal(want) {
			t.Errorf("parseInstant(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "2026-03-01", "2026-03-01 12:00:00", "2026-13-01T00:00:00Z", "1700000000"} {
		if _, err := parseInstant(in); store.ErrorCode(err) != store.EBadRequest {
			t.Errorf("parseInstant(%q): %v, want 400", in, err)
		}
	}
}

// FuzzParseInstant: an instant that parses writes back as one that parses
// to the same instant, and anything else is a 400.
func FuzzParseInstant(f *testing.F) {
	for _, seed := range []string{"2026-03-01T12:00:00Z", "2026-03-01T12:00:00.999999999-07:00", "0000-01-01T00:00:00Z", "", "Z", "2026-02-30T00:00:00Z"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := parseInstant(s)
		if err != nil {
			if store.ErrorCode(err) != store.EBadRequest {
				t.Fatalf("parseInstant(%q): %v, want a 400", s, err)
			}
			return
		}
		again, err := parseInstant(formatInstant(at))
		if err != nil || !again.Equal(at) {
			t.Fatalf("parseInstant(%q) = %v writes as %q, which reads as %v (%v)", s, at, formatInstant(at), again, err)
		}
	})
}

// FuzzOperationFilter: whatever the query string of the operations list,
// the filter is refused with a 400 or holds only values the list accepts,
// and its cursor writes back as itself.
func FuzzOperationFilter(f *testing.F) {
	for _, seed := range []string{"", "source=api", "source=fax", "cursor=12&limit=3", "cursor=-5", "cursor=0", "cursor=x", "limit=201",
		"actor=a%40b&block=01ABC", "cursor=99999999999999999999"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r := httptest.NewRequest("GET", "/api/v1/courses/c/operations?"+q.Encode(), nil)
		got, err := operationFilter(r)
		if err != nil {
			if store.ErrorCode(err) != store.EBadRequest {
				t.Fatalf("operationFilter(%q): %v, want a 400", raw, err)
			}
			return
		}
		switch got.Source {
		case "", store.SourceUI, store.SourceAPI, store.SourceImport, store.SourceUndo:
		default:
			t.Fatalf("operationFilter(%q) accepted source %q", raw, got.Source)
		}
		if got.Limit < 0 || got.Limit > store.MaxPageLimit {
			t.Fatalf("operationFilter(%q) accepted limit %d", raw, got.Limit)
		}
		if c, err := store.ParseOperationCursor(got.Before.String()); err != nil || c != got.Before {
			t.Fatalf("cursor %d writes as %q, which reads as %d (%v)", got.Before, got.Before.String(), c, err)
		}
	})
}
