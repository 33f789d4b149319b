package emaillist

import (
	"encoding/csv"
	"errors"
	"fmt"
)

// NotTextError rejects an upload that is not UTF-8 text: it holds a NUL byte or invalid UTF-8.
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

// fromCSV turns the csv package's syntax errors into *SyntaxError and passes others through.
func fromCSV(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	line := pe.Line
	if errors.Is(pe.Err, csv.ErrQuote) {
		// An unclosed quote is only noticed at the end of the file; where it opened is what to fix.
		line = pe.StartLine
	}
	return &SyntaxError{Line: line, Err: pe.Err}
}
