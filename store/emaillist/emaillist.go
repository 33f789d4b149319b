// Package emaillist turns uploaded or pasted email lists, and (email, course) lists for bulk
// enrollment, into validated, de-duplicated entries with a line-numbered problem for each bad one.
// It reads as a stream: memory holds the result, not the upload.
package emaillist

import (
	"io"
	"mime"
	"path"
	"strings"
)

// Format is how an email list is laid out.
type Format int

const (
	// FormatAuto decides from the first non-blank line: quotes, an "email" header, or fields
	// besides addresses (a name column) make it CSV; addresses alone make it text.
	FormatAuto Format = iota
	// FormatText holds addresses one per line, or separated by commas, semicolons or tabs.
	FormatText
	// FormatCSV takes the column headed "email" (or "E-mail Address"…), else the first column.
	// The delimiter is whichever of comma, semicolon and tab the first line uses most.
	FormatCSV
)

// DetectFormat picks the format from an upload's file name extension, else its content type,
// else FormatAuto.
func DetectFormat(filename, contentType string) Format {
	switch strings.ToLower(path.Ext(filename)) {
	case ".csv", ".tsv":
		return FormatCSV
	case ".txt":
		return FormatText
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "text/csv", "application/csv", "text/comma-separated-values",
		"text/tab-separated-values", "application/vnd.ms-excel":
		return FormatCSV
	case "text/plain":
		return FormatText
	}
	return FormatAuto
}

// Limits bounds what a list may hold; the zero value is unlimited.
type Limits struct {
	MaxEntries int // beyond it, parsing stops with *TooManyError
}

// Problem is an entry that is not a valid address.
type Problem struct {
	Line   int    // 1-based physical line; for CSV, where the record starts
	Value  string // the entry as written, trimmed, cut short if very long
	Reason string // from ValidEmail
}

// Emails is a parsed email list.
type Emails struct {
	Addresses  []string  // valid, lower-cased, each once, in first-seen order
	Duplicates int       // valid entries that repeat an earlier address, ignoring case
	Problems   []Problem // invalid entries, in line order
	Entries    int       // non-blank entries read: len(Addresses) + Duplicates + len(Problems)
}

// ParseEmails reads an email list. A leading byte-order mark is skipped; CRLF, LF and CR end
// lines; blank lines and blank CSV rows are not entries. It fails, reading nothing into the
// result, with *NotTextError for binary or non-UTF-8 input, *SyntaxError for broken CSV quoting,
// *TooManyError beyond lim, or r's own error.
func ParseEmails(r io.Reader, f Format, lim Limits) (Emails, error) {
	in, err := openList(r)
	if err != nil {
		return Emails{}, err
	}
	if f == FormatAuto {
		f = in.guess
	}
	c := newEmailCollector(lim)
	if f == FormatText {
		err = in.readText(func(line int, value []byte) error {
			return c.add(line, string(value))
		})
	} else {
		column := -1 // chosen by the first record
		err = in.readRecords(func(line int, record []string) error {
			if column < 0 {
				if column = header(record, emailHeaders); column >= 0 {
					return nil
				}
				column = 0
			}
			return c.add(line, field(record, column))
		})
	}
	if err != nil {
		return Emails{}, err
	}
	return c.list, nil
}

// CheckEmails applies the rules of ParseEmails to addresses that came as a list, such as a
// JSON array. A Problem's Line is the entry's 1-based position; blank entries are problems.
func CheckEmails(values []string, lim Limits) (Emails, error) {
	c := newEmailCollector(lim)
	for i, v := range values {
		if err := c.add(i+1, v); err != nil {
			return Emails{}, err
		}
	}
	return c.list, nil
}

type emailCollector struct {
	max  int
	seen map[string]struct{}
	list Emails
}

func newEmailCollector(lim Limits) *emailCollector {
	return &emailCollector{max: lim.MaxEntries, seen: make(map[string]struct{})}
}

// add takes one entry; value must not share memory with a larger string it would keep alive.
func (c *emailCollector) add(line int, value string) error {
	c.list.Entries++
	if c.max > 0 && c.list.Entries > c.max {
		return &TooManyError{Max: c.max}
	}
	addr, reason := ValidEmail(value)
	if reason != "" {
		c.list.Problems = append(c.list.Problems, Problem{Line: line, Value: shown(value), Reason: reason})
		return nil
	}
	if _, dup := c.seen[addr]; dup {
		c.list.Duplicates++
		return nil
	}
	c.seen[addr] = struct{}{}
	c.list.Addresses = append(c.list.Addresses, addr)
	return nil
}
