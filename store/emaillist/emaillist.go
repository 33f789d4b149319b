// Package emaillist turns uploaded or pasted email lists, and (email, course) lists for bulk
// enrollment, into validated, de-duplicated entries with a line-numbered problem for each bad
// one. It takes lists as admins have them: text in the usual encodings, CSV with any of the usual
// separators, Excel workbooks, and addresses pasted from a mail client; it reads them as a
// stream, so memory holds the result, not the upload.
package emaillist

import (
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"unicode/utf8"
)

// Format is how a list is laid out.
type Format int

const (
	// FormatAuto decides from the content: a workbook, a table (a header naming an email
	// column, or fields besides addresses), or a pasted list.
	FormatAuto Format = iota
	// FormatText is a pasted list: addresses separated by commas, semicolons, tabs, spaces or
	// line ends, each bare or as a mail client writes it (`Name <addr>`).
	FormatText
	// FormatCSV is a table with a separator of comma, semicolon or tab, found from its first
	// lines; the address column is found as Layout describes.
	FormatCSV
	// FormatWorkbook is an .xlsx workbook (the first visible worksheet), read as a table. It
	// is recognised by its content whatever Options.Format says.
	FormatWorkbook
)

// DetectFormat picks the format from an upload's file name extension, else its content type:
// FormatCSV for a table, else FormatAuto. A .txt is not taken to be a pasted list, as Excel's
// "Unicode Text" is a tab-separated table saved as .txt.
func DetectFormat(filename, contentType string) Format {
	switch strings.ToLower(path.Ext(filename)) {
	case ".csv", ".tsv":
		return FormatCSV
	case "":
	default:
		return FormatAuto
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "text/csv", "application/csv", "text/comma-separated-values",
		"text/tab-separated-values", "application/vnd.ms-excel": // what browsers on Windows send for .csv
		return FormatCSV
	}
	return FormatAuto
}

// Limits bounds what a list may hold; the zero value is unlimited.
type Limits struct {
	MaxEntries int   // beyond it, reading stops with *TooManyError
	MaxBytes   int64 // beyond it, reading stops with *TooLargeError; a workbook may unpack to ten times it
}

// Options say how to read a list. The zero value finds everything from the content.
type Options struct {
	Format Format // a hint from the file name or content type (DetectFormat); FormatAuto decides
	Limits Limits
	// Column names the address column of a table, by its 1-based number ("3") or its header
	// ("Work e-mail"); empty finds it. CourseColumn does the same for the course of pairs.
	Column       string
	CourseColumn string
}

// Layout is how a list was read, for a preview to show and a column picker to offer.
type Layout struct {
	Format    Format   // FormatText, FormatCSV or FormatWorkbook
	Encoding  Encoding // how text was decoded; "" for a workbook
	Separator rune     // FormatCSV: ',', ';' or '\t'; 0 otherwise
	Sheet     string   // FormatWorkbook: the name of the worksheet read
	Header    int      // the line (workbook: row) that named the columns; 0 when the table has none
	Columns   []Column // a table's columns, as its first rows show them
	Email     int      // the 1-based column the addresses came from; 0 for FormatText
	Course    int      // pairs: the 1-based column of the course keys; 0 when there is none
}

// Column is one column of a table, with counts from its first rows (up to 200).
type Column struct {
	Number    int    // 1-based, as Options.Column takes it
	Header    string // the header row's cell, trimmed; "" without a header row
	Example   string // the first non-blank cell below the header, cut short
	Filled    int    // non-blank cells among the first rows
	Addresses int    // how many of those hold a valid address
}

// Problem is an entry that is not a valid address.
type Problem struct {
	Line   int    // 1-based physical line (workbook: row); for CSV, where the record starts
	Value  string // the entry as written, trimmed, cut short if very long, invisible characters shown
	Reason string // from ValidEmail
}

// Emails is a read email list.
type Emails struct {
	Addresses  []string  // valid and canonical (ValidEmail), each once, in first-seen order
	Duplicates int       // valid entries that repeat an earlier address
	Problems   []Problem // invalid entries, in line order
	Entries    int       // non-blank entries read: len(Addresses) + Duplicates + len(Problems)
	Layout     Layout
}

// ReadEmails reads an email list: text in UTF-8, UTF-16 or Windows-1252, a CSV table, an .xlsx
// workbook, or a list pasted from a mail client. Blank lines and rows are not entries. It fails,
// reading nothing into the result, with *UnsupportedFileError for other kinds of file,
// *NotTextError for binary text, *SyntaxError for broken CSV quoting, *NoAddressColumnError or
// *ColumnNotFoundError for a table without the column, *TooManyError or *TooLargeError beyond
// the limits, or r's own error.
func ReadEmails(r io.Reader, opt Options) (Emails, error) {
	src, err := open(r, opt, false)
	if err != nil {
		return Emails{}, err
	}
	c := newEmailCollector(opt.Limits)
	if src.layout.Format == FormatText {
		err = src.readAddressList(func(line int, e entry) error {
			addr := string(e.addr)
			raw := addr
			if len(e.raw) != len(e.addr) {
				raw = string(e.raw)
			}
			return c.add(line, addr, raw)
		})
	} else {
		err = readTable(src.rows(), opt, false, &src.layout, func(line int, email, _ string) error {
			return c.add(line, cellAddress(email), email)
		})
	}
	layout := src.finish()
	if err != nil {
		return Emails{}, err
	}
	c.list.Layout = layout
	return c.list, nil
}

// CheckEmails applies the rules of ReadEmails to addresses that came as a list, such as a
// JSON array. A Problem's Line is the entry's 1-based position; blank entries are problems.
func CheckEmails(values []string, lim Limits) (Emails, error) {
	c := newEmailCollector(lim)
	for i, v := range values {
		if err := c.add(i+1, cellAddress(v), v); err != nil {
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

// add takes one entry: the address it holds, and the entry as written for a problem to show.
// Neither may share memory with a larger string it would keep alive.
func (c *emailCollector) add(line int, addr, raw string) error {
	c.list.Entries++
	if c.max > 0 && c.list.Entries > c.max {
		return &TooManyError{Max: c.max}
	}
	addr, reason := ValidEmail(addr)
	if reason != "" {
		c.list.Problems = append(c.list.Problems, Problem{Line: line, Value: shown(raw), Reason: reason})
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

// shown is s trimmed and cut to a length fit to show back to the user, with the characters that
// show as nothing (or as a plain-looking blank) written as [U+200B], so an admin sees them.
func shown(s string) string {
	s = strings.TrimSpace(s)
	if hasNonASCII(s) || strings.ContainsFunc(s, unseen) {
		var b strings.Builder
		for _, r := range s {
			if unseen(r) && r != '\n' && r != '\t' {
				fmt.Fprintf(&b, "[U+%04X]", r)
			} else {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	if len(s) <= maxShownLen {
		return s
	}
	cut := maxShownLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
