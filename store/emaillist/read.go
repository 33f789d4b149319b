package emaillist

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	readBufferSize = 64 << 10
	// sniffSize bounds how far the first non-blank line is looked for.
	sniffSize = 4 << 10
	// maxShownLen bounds a problem's Value, which goes back to the user.
	maxShownLen = 120
)

// textSeparators end an entry in text format: pasted lists come one per line, or
// "a@x.com, b@y.com" from mail clients, or tab-separated from a spreadsheet row.
const textSeparators = "\n,;\t"

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

// guessFormat calls a line CSV when it quotes, or when it has fields that are not addresses
// (a header, a name column); a line of addresses only is a pasted list.
func guessFormat(line []byte, comma rune) Format {
	if bytes.IndexByte(line, '"') >= 0 {
		return FormatCSV
	}
	for field := range bytes.SplitSeq(line, []byte(string(comma))) {
		if len(bytes.TrimSpace(field)) > 0 && bytes.IndexByte(field, '@') < 0 {
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

// readText calls add with each non-blank, trimmed entry between textSeparators and its line.
// The value is only valid during the call.
func (l list) readText(add func(line int, value []byte) error) error {
	line := 1
	var spanning []byte // the start of an entry longer than the read buffer
	for {
		chunk, err := l.r.ReadSlice('\n')
		for {
			i := bytes.IndexAny(chunk, textSeparators)
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

// header reports which field of a header record names one of the given columns, or -1.
// Names compare ignoring case, spaces, hyphens and underscores: "E-mail Address" is "emailaddress".
func header(record []string, names ...string) int {
	for i, field := range record {
		key := strings.Map(func(r rune) rune {
			switch r {
			case ' ', '-', '_':
				return -1
			}
			return unicode.ToLower(r)
		}, strings.TrimSpace(field))
		for _, name := range names {
			if key == name {
				return i
			}
		}
	}
	return -1
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
