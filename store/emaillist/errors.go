package emaillist

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// NotTextError rejects an upload that is not text: once decoded, it holds a NUL character.
type NotTextError struct {
	Line int // where the first offending byte is, 1-based
}

func (e *NotTextError) Error() string {
	return fmt.Sprintf("the upload is not a text or CSV file (line %d)", e.Line)
}

// SyntaxError rejects a CSV upload whose quoting is broken, so its rows cannot be told apart.
type SyntaxError struct {
	Line int   // where the problem is; for a quoted field that never closes, where it opens
	Err  error // csv.ErrQuote or csv.ErrBareQuote
}

func (e *SyntaxError) Error() string {
	what := e.Err.Error()
	switch {
	case errors.Is(e.Err, csv.ErrBareQuote):
		what = `a field has a quote (") but does not start with one; quote the whole field and double the inner quote ("")`
	case errors.Is(e.Err, csv.ErrQuote):
		what = "a quoted field is not closed, or has text after its closing quote"
	}
	return fmt.Sprintf("CSV syntax error on line %d: %s", e.Line, what)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// TooManyError rejects a list with more entries than Limits.MaxEntries.
type TooManyError struct {
	Max int
}

func (e *TooManyError) Error() string {
	return fmt.Sprintf("the list has more than %d entries", e.Max)
}

// TooLargeError rejects an upload longer than Limits.MaxBytes, or a workbook whose parts would
// unpack to more than its bound, judged by the sizes its zip directory declares.
type TooLargeError struct {
	Max      int64 // the limit, in bytes
	Unpacked bool  // the limit is on what a workbook unpacks to
}

func (e *TooLargeError) Error() string {
	if e.Unpacked {
		return fmt.Sprintf("the workbook unpacks to more than %d bytes", e.Max)
	}
	return fmt.Sprintf("the list is larger than %d bytes", e.Max)
}

// UnsupportedFileError rejects an upload that is a kind of file lists do not come in, or a
// workbook that cannot be read.
type UnsupportedFileError struct {
	Type FileType
}

func (e *UnsupportedFileError) Error() string {
	return fmt.Sprintf("the upload looks like %s, not a list; %s", e.Type.description(), e.Type.advice())
}

// NoAddressColumnError rejects a table none of whose columns holds email addresses.
type NoAddressColumnError struct {
	Headers []string // the header row as written; nil when the table has none
}

func (e *NoAddressColumnError) Error() string {
	if len(e.Headers) == 0 {
		return "no column holds email addresses"
	}
	return "no column holds email addresses; the columns are " + quotedList(e.Headers)
}

// ColumnNotFoundError rejects a request for a column, by header or number, that the table lacks.
type ColumnNotFoundError struct {
	Column  string   // as asked for
	Headers []string // the header row as written; nil when the table has none
	Columns int      // how many columns the table has
}

func (e *ColumnNotFoundError) Error() string {
	if _, err := strconv.Atoi(e.Column); err == nil {
		return fmt.Sprintf("the list has no column %s: it has %d", e.Column, e.Columns)
	}
	if len(e.Headers) == 0 {
		return fmt.Sprintf("the list has no column headed %q: it has no header row", e.Column)
	}
	return fmt.Sprintf("the list has no column headed %q; the columns are %s", e.Column, quotedList(e.Headers))
}

func quotedList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, ", ")
}

// fromCSV turns the csv package's syntax errors into *SyntaxError, with line numbers moved on by
// the lines read before the CSV began, and passes others through.
func fromCSV(err error, lineOffset int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	line := pe.Line
	if errors.Is(pe.Err, csv.ErrQuote) {
		// An unclosed quote is only noticed at the end of the file; where it opened is what to fix.
		line = pe.StartLine
	}
	return &SyntaxError{Line: line + lineOffset, Err: pe.Err}
}
