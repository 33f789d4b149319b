package emaillist

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
)

// csvRows reads CSV records as table rows.
type csvRows struct {
	cr     *csv.Reader
	offset int   // lines read before the CSV began (Excel's "sep=;" line)
	keep   []int // columns to copy out of the record's shared memory
}

func newCSVRows(r io.Reader, sep byte, offset int) *csvRows {
	cr := csv.NewReader(r)
	cr.Comma = rune(sep)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true // so `a@x.com, "b@y.com"` is not a bare-quote error
	return &csvRows{cr: cr, offset: offset}
}

func (c *csvRows) next() (row, error) {
	record, err := c.cr.Read()
	if err != nil {
		return row{}, fromCSV(err, c.offset)
	}
	for _, i := range c.keep {
		if i >= 0 && i < len(record) {
			record[i] = strings.Clone(record[i]) // the fields of a record share one string
		}
	}
	line, _ := c.cr.FieldPos(0)
	return row{line: line + c.offset, cells: record, blank: blankRow(record)}, nil
}

func (c *csvRows) keepOnly(cols []int) { c.keep = cols }

// separators are the field separators tables come with: comma, semicolon (Excel in locales whose
// decimal mark is a comma) and tab (spreadsheet paste, Excel's "Unicode Text", .tsv).
var separators = []byte{',', ';', '\t'}

// sniffSeparator picks the separator that the first line uses and the lines after it use as
// often, so that the commas inside "Müller, Anna;anna@example.de" do not count; ties go to the
// one the first line uses most, then to the comma. A single column is read with commas.
func sniffSeparator(lines [][]byte) byte {
	best, bestSame, bestFirst := separators[0], -1, 0
	if len(lines) == 0 {
		return best
	}
	for _, sep := range separators {
		first := countUnquoted(lines[0], sep)
		if first == 0 {
			continue
		}
		same := 0
		for _, l := range lines[1:] {
			if countUnquoted(l, sep) == first {
				same++
			}
		}
		if same > bestSame || same == bestSame && first > bestFirst {
			best, bestSame, bestFirst = sep, same, first
		}
	}
	return best
}

// declaredSeparator is the separator of Excel's "sep=;" line, or 0 when line is not one.
func declaredSeparator(line []byte) byte {
	line = bytes.TrimSpace(line)
	if len(line) == 5 && bytes.EqualFold(line[:4], []byte("sep=")) && bytes.IndexByte(separators, line[4]) >= 0 {
		return line[4]
	}
	return 0
}

func countUnquoted(line []byte, sep byte) int {
	n, quoted := 0, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			n++
		}
	}
	return n
}

// splitUnquoted splits line at the separators outside quotes.
func splitUnquoted(line []byte, sep byte) [][]byte {
	var fields [][]byte
	start, quoted := 0, false
	for i, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			fields = append(fields, line[start:i])
			start = i + 1
		}
	}
	return append(fields, line[start:])
}

// guessFormat tells a table from a pasted address list by its first lines. A line naming an
// email column makes a table; a mailbox (`Name <addr>`) makes a list, as mail clients paste them;
// a line of several fields of which one is not an address (a name column) makes a table; lines
// of addresses alone, one or several, are a list: read as a table, all but one on a line would
// be lost.
func guessFormat(lines [][]byte, sep byte) Format {
	for _, line := range lines {
		for _, f := range splitUnquoted(line, sep) {
			if emailHeaderRank(string(bytes.Trim(f, "\" \t"))) > 0 {
				return FormatCSV
			}
		}
	}
	for _, line := range lines {
		if hasMailbox(line) {
			return FormatText
		}
	}
	for _, line := range lines {
		fields := splitUnquoted(line, sep)
		if len(fields) < 2 {
			continue
		}
		for _, f := range fields {
			if len(bytes.TrimSpace(f)) > 0 && bytes.IndexByte(f, '@') < 0 {
				return FormatCSV
			}
		}
	}
	return FormatText
}

// hasMailbox reports whether line holds `<…@…>` outside quotes.
func hasMailbox(line []byte) bool {
	open := indexUnquoted(line, '<')
	if open < 0 {
		return false
	}
	closing := bytes.IndexByte(line[open:], '>')
	return closing > 0 && bytes.IndexByte(line[open:open+closing], '@') > 0
}
