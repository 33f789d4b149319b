package handlers

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/views/lists"
)

// emailSearch is a typed email search (a prefix) as addresses are stored: a
// whole address whose domain is typed in Unicode is looked for in its ASCII
// (IDNA) form, as lists keep it. A partial domain cannot be converted (the
// ASCII form of "bü" is no prefix of that of "bücher.de"), so anything short
// of a whole address is looked for as typed.
func emailSearch(q string) string {
	if addr, reason := emaillist.ValidEmail(q); reason == "" {
		return addr
	}
	return q
}

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

// options are how to read a request's list: within the limits, from the
// columns a client named with ?column= and ?course_column= (a header or a
// 1-based number), else the ones the reader finds.
func (l ListLimits) options(r *http.Request) emaillist.Options {
	q := r.URL.Query()
	return emaillist.Options{Limits: l.parser(), Column: q.Get("column"), CourseColumn: q.Get("course_column")}
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

// readUpload reads a page's upload form, multipart or not: the "file" part
// when a file was chosen, else the pasted text of pasteField, kept as sent so
// it can be staged. Beyond the byte limit it fails with 413.
func readUpload(w http.ResponseWriter, r *http.Request, lim ListLimits, pasteField string) (store.StagedList, error) {
	// The form around the list (field names, boundaries) gets a little room
	// beyond the list's own limit.
	r.Body = http.MaxBytesReader(w, r.Body, lim.MaxBytes+64<<10)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return store.StagedList{}, listError(err)
		}
		return stagedBody("", "", []byte(r.PostForm.Get(pasteField)), lim)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return store.StagedList{}, store.Errorf(store.EBadRequest, "The upload form could not be read: %v.", err)
	}
	var pasted []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return stagedBody("", "", pasted, lim)
		}
		if err != nil {
			return store.StagedList{}, listError(err)
		}
		switch {
		case part.FormName() == "file" && part.FileName() != "":
			body, err := io.ReadAll(io.LimitReader(part, lim.MaxBytes+1))
			if err != nil {
				return store.StagedList{}, listError(err)
			}
			return stagedBody(part.FileName(), part.Header.Get("Content-Type"), body, lim)
		case part.FormName() == pasteField:
			if pasted, err = io.ReadAll(io.LimitReader(part, lim.MaxBytes+1)); err != nil {
				return store.StagedList{}, listError(err)
			}
		}
	}
}

func stagedBody(fileName, contentType string, body []byte, lim ListLimits) (store.StagedList, error) {
	if int64(len(body)) > lim.MaxBytes {
		return store.StagedList{}, listError(&emaillist.TooLargeError{Max: lim.MaxBytes})
	}
	return store.StagedList{FileName: fileName, ContentType: contentType, Body: body}, nil
}

// stagedOptions read a staged list as its upload was read, with the columns
// given (a 1-based number or a header; "" finds it).
func stagedOptions(l store.StagedList, lim ListLimits, column, courseColumn string) emaillist.Options {
	return emaillist.Options{Format: emaillist.DetectFormat(l.FileName, l.ContentType), Limits: lim.parser(),
		Column: column, CourseColumn: courseColumn}
}

// pastedText is a staged list's text to put back in the form, when it was
// pasted and is text a form can hold.
func pastedText(l store.StagedList) string {
	if !l.Pasted() || !utf8.Valid(l.Body) {
		return ""
	}
	return string(l.Body)
}

// columnParam names a column for the confirm to read again; "" when the
// list was read without columns.
func columnParam(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

var separatorNames = map[rune]string{',': "commas", ';': "semicolons", '\t': "tabs"}

// sourceView says how the reader read a staged list, and where to re-read it
// with other columns.
func sourceView(l store.StagedList, layout emaillist.Layout, pickURL, target string, pairs bool) lists.Source {
	v := lists.Source{FileName: l.FileName, Encoding: string(layout.Encoding), Separator: separatorNames[layout.Separator],
		Sheet: layout.Sheet, Header: layout.Header, Email: layout.Email, Course: layout.Course, Pairs: pairs,
		PickURL: pickURL, Target: target}
	switch layout.Format {
	case emaillist.FormatWorkbook:
		v.Kind = "an Excel workbook"
	case emaillist.FormatCSV:
		v.Kind = "a table"
	default:
		v.Kind = "a list of addresses"
	}
	for _, c := range layout.Columns {
		v.Columns = append(v.Columns, lists.Column{Number: c.Number, Header: c.Header, Example: c.Example, Filled: c.Filled, Addresses: c.Addresses})
	}
	return v
}
