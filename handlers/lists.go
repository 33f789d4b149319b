package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
)

// ListLimits bounds an uploaded or pasted list, so one request cannot tie up
// the server: its size in bytes and its number of entries. Beyond either the
// answer is 413.
type ListLimits struct {
	MaxBytes   int64
	MaxEntries int
}

func (l ListLimits) parser() emaillist.Limits {
	return emaillist.Limits{MaxEntries: l.MaxEntries, MaxBytes: l.MaxBytes}
}

// listRefusal is why the list reader refused a list, as the answer names it.
type listRefusal struct {
	name       string
	line       int
	looksLike  string
	column     string
	headers    []string
	maxBytes   int64
	maxEntries int
}

// listError turns the list reader's refusals into errors Fail maps: 422 that
// names the line for a malformed list, or what an upload looks like when it is
// no list, or the columns a table has; 413 beyond a limit. Others pass through.
func listError(err error) error {
	refused := func(code store.Code, why listRefusal, msg string) error {
		return &store.Error{Code: code, Message: msg, Detail: why}
	}
	if e, ok := errors.AsType[*emaillist.SyntaxError](err); ok {
		return refused(store.EInvalid, listRefusal{name: "malformed_csv", line: e.Line}, capitalized(e.Error())+".")
	}
	if e, ok := errors.AsType[*emaillist.NotTextError](err); ok {
		return refused(store.EInvalid, listRefusal{name: "not_text", line: e.Line},
			fmt.Sprintf("The upload is not a text or CSV file (line %d holds binary data); export the list as CSV and try again.", e.Line))
	}
	if e, ok := errors.AsType[*emaillist.UnsupportedFileError](err); ok {
		return refused(store.EInvalid, listRefusal{name: "unsupported_file", looksLike: string(e.Type)}, capitalized(e.Error())+".")
	}
	if e, ok := errors.AsType[*emaillist.NoAddressColumnError](err); ok {
		return refused(store.EInvalid, listRefusal{name: "no_email_column", headers: nonNil(e.Headers)}, capitalized(e.Error())+".")
	}
	if e, ok := errors.AsType[*emaillist.ColumnNotFoundError](err); ok {
		return refused(store.EInvalid, listRefusal{name: "unknown_column", column: e.Column, headers: nonNil(e.Headers)}, capitalized(e.Error())+".")
	}
	if e, ok := errors.AsType[*emaillist.TooLargeError](err); ok {
		return refused(store.ETooLarge, listRefusal{name: "too_large", maxBytes: e.Max}, capitalized(e.Error())+"; split it into smaller lists.")
	}
	if e, ok := errors.AsType[*emaillist.TooManyError](err); ok {
		return refused(store.ETooLarge, listRefusal{name: "too_many_entries", maxEntries: e.Max},
			fmt.Sprintf("The list has more than %d entries; split it into smaller lists.", e.Max))
	}
	if e, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return refused(store.ETooLarge, listRefusal{name: "too_large", maxBytes: e.Limit},
			fmt.Sprintf("The list is larger than the limit of %d bytes; split it into smaller lists.", e.Limit))
	}
	return err
}

// nonNil answers an empty list as [], not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func capitalized(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
