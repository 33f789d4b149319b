package emaillist

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	readBufferSize = 16 << 10
	// sniffSize bounds how far the first non-blank line is looked for.
	sniffSize = 4 << 10
	// maxShownLen bounds a problem's Value, which goes back to the user.
	maxShownLen = 120
)

// indexSeparator finds the end of an entry in text format: pasted lists come one per line,
// or "a@x.com, b@y.com" from mail clients, or tab-separated from a spreadsheet row.
func indexSeparator(b []byte) int {
	for i, c := range b {
		switch c {
		case '\n', ',', ';', '\t':
			return i
		}
	}
	return -1
}

// list is an upload opened for reading, with the shape of its first line.
type list struct {
	r     *bufio.Reader
	guess Format // what the first non-blank line looks like: FormatText or FormatCSV
	comma rune   // the CSV delimiter the first line uses
}

func openList(r io.Reader) (list, error) {
	br := bufio.NewReaderSize(newTextReader(r), readBufferSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF {
		return list{}, err
	}
	line := firstNonBlankLine(head)
	comma := delimiter(line)
	return list{r: br, guess: guessFormat(line, comma), comma: comma}, nil
}

func firstNonBlankLine(head []byte) []byte {
	for len(head) > 0 {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte{'\n'})
		if len(bytes.TrimSpace(line)) > 0 {
			return line
		}
	}
	return nil
}

// delimiter picks the most frequent of comma, semicolon (Excel in many European locales) and
// tab (spreadsheet paste, .tsv) outside quotes; comma when there is none.
func delimiter(line []byte) rune {
	var counts [3]int
	delims := [3]byte{',', ';', '\t'}
	quoted := false
	for _, c := range line {
		if c == '"' {
			quoted = !quoted
		}
		if i := bytes.IndexByte(delims[:], c); i >= 0 && !quoted {
			counts[i]++
		}
	}
	best := 0
	for i := range counts {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return rune(delims[best])
}

// guessFormat calls a line CSV when it quotes, names the email column, or has fields besides
// addresses (a name column). Addresses alone, one or several, make a pasted list: read as CSV,
// all but the first on a line would be lost.
func guessFormat(line []byte, comma rune) Format {
	if bytes.IndexByte(line, '"') >= 0 {
		return FormatCSV
	}
	fields := strings.Split(string(line), string(comma))
	if len(fields) == 1 {
		if header(fields, emailHeaders) >= 0 {
			return FormatCSV
		}
		return FormatText
	}
	for _, f := range fields {
		if strings.TrimSpace(f) != "" && !strings.Contains(f, "@") {
			return FormatCSV
		}
	}
	return FormatText
}

func (l list) csvReader() *csv.Reader {
	cr := csv.NewReader(l.r)
	cr.Comma = l.comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true // so `a@x.com, "b@y.com"` is not a bare-quote error
	return cr
}

// readRecords calls add with each CSV record that has a non-blank field, and the line it starts on.
// The record is reused: add must copy what it keeps.
func (l list) readRecords(add func(line int, record []string) error) error {
	cr := l.csvReader()
	for {
		record, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fromCSV(err)
		}
		if blankRecord(record) {
			continue
		}
		line, _ := cr.FieldPos(0)
		if err := add(line, record); err != nil {
			return err
		}
	}
}

func blankRecord(record []string) bool {
	for _, f := range record {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// readText calls add with each non-blank, trimmed entry between separators and its line.
// The value is only valid during the call.
func (l list) readText(add func(line int, value []byte) error) error {
	line := 1
	var spanning []byte // the start of an entry longer than the read buffer
	for {
		chunk, err := l.r.ReadSlice('\n')
		for {
			i := indexSeparator(chunk)
			if i < 0 {
				break
			}
			value := chunk[:i]
			if len(spanning) > 0 {
				spanning = append(spanning, value...)
				value, spanning = spanning, spanning[:0]
			}
			if value = bytes.TrimSpace(value); len(value) > 0 {
				if err := add(line, value); err != nil {
					return err
				}
			}
			if chunk[i] == '\n' {
				line++
			}
			chunk = chunk[i+1:]
		}
		spanning = append(spanning, chunk...)
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			if value := bytes.TrimSpace(spanning); len(value) > 0 {
				return add(line, value)
			}
			return nil
		default:
			return err
		}
	}
}

// Names a header gives the columns, compared by headerKey.
var (
	emailHeaders  = []string{"email", "emailaddress"}
	courseHeaders = []string{"course", "coursekey", "courseid"}
)

// header reports which field of a header record names a column, or -1.
func header(record []string, column []string) int {
	for i, field := range record {
		if slices.Contains(column, headerKey(field)) {
			return i
		}
	}
	return -1
}

// headerKey folds how people write column names: "E-mail Address" is "emailaddress".
func headerKey(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_':
			return -1
		}
		return unicode.ToLower(r)
	}, strings.TrimSpace(name))
}

// field is record[i] as a string of its own (records share and reuse memory), or "" when short.
func field(record []string, i int) string {
	if i >= len(record) {
		return ""
	}
	return strings.Clone(record[i])
}

// shown is s trimmed and cut to a length fit to show back to the user.
func shown(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= maxShownLen {
		return s
	}
	cut := maxShownLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
