package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
)

// ListLimits bounds an uploaded or pasted list (SPEC §10): its size in bytes
// and its number of entries. Beyond either the answer is 413.
type ListLimits struct {
	MaxBytes   int64
	MaxEntries int
}

func (l ListLimits) parser() emaillist.Limits {
	return emaillist.Limits{MaxEntries: l.MaxEntries, MaxBytes: l.MaxBytes}
}

// options are how to read a request's list: within the limits, from the
// columns a client named with ?column= and ?course_column= (a header or a
// 1-based number), else the ones the reader finds.
func (l ListLimits) options(r *http.Request) emaillist.Options {
	q := r.URL.Query()
	return emaillist.Options{Limits: l.parser(), Column: q.Get("column"), CourseColumn: q.Get("course_column")}
}

// listError turns the list reader's refusals into errors Fail maps: 422 that
// names the line for a malformed list, or what an upload looks like when it is
// no list, or the columns a table has; 413 beyond a limit. Others pass through.
func listError(err error) error {
	if e, ok := errors.AsType[*emaillist.SyntaxError](err); ok {
		return &store.Error{Code: store.EInvalid, Kind: "malformed_csv", Message: capitalized(e.Error()) + ".", Fields: map[string]any{"line": e.Line}}
	}
	if e, ok := errors.AsType[*emaillist.NotTextError](err); ok {
		return &store.Error{Code: store.EInvalid, Kind: "not_text",
			Message: fmt.Sprintf("The upload is not a text or CSV file (line %d holds binary data); export the list as CSV and try again.", e.Line),
			Fields:  map[string]any{"line": e.Line}}
	}
	if e, ok := errors.AsType[*emaillist.UnsupportedFileError](err); ok {
		return &store.Error{Code: store.EInvalid, Kind: "unsupported_file", Message: capitalized(e.Error()) + ".",
			Fields: map[string]any{"looks_like": string(e.Type)}}
	}
	if e, ok := errors.AsType[*emaillist.NoAddressColumnError](err); ok {
		return &store.Error{Code: store.EInvalid, Kind: "no_email_column", Message: capitalized(e.Error()) + ".",
			Fields: map[string]any{"headers": e.Headers}}
	}
	if e, ok := errors.AsType[*emaillist.ColumnNotFoundError](err); ok {
		return &store.Error{Code: store.EInvalid, Kind: "unknown_column", Message: capitalized(e.Error()) + ".",
			Fields: map[string]any{"column": e.Column, "headers": e.Headers}}
	}
	if e, ok := errors.AsType[*emaillist.TooLargeError](err); ok {
		return &store.Error{Code: store.ETooLarge, Kind: "too_large", Message: capitalized(e.Error()) + "; split it into smaller lists.",
			Fields: map[string]any{"max_bytes": e.Max}}
	}
	if e, ok := errors.AsType[*emaillist.TooManyError](err); ok {
		return &store.Error{Code: store.ETooLarge, Kind: "too_many_entries",
			Message: fmt.Sprintf("The list has more than %d entries; split it into smaller lists.", e.Max), Fields: map[string]any{"max_entries": e.Max}}
	}
	if e, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &store.Error{Code: store.ETooLarge, Kind: "too_large",
			Message: fmt.Sprintf("The list is larger than the limit of %d bytes; split it into smaller lists.", e.Limit), Fields: map[string]any{"max_bytes": e.Limit}}
	}
	return err
}

func capitalized(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
