package emaillist

import (
	"bufio"
	"bytes"
	"io"
)

const (
	readBufferSize = 16 << 10
	// magicSize is how much of an upload is looked at to tell a binary file by its signature.
	magicSize = 512
	// sniffSize and sniffLines bound the first lines looked at to tell a table from a pasted
	// list and to find the separator.
	sniffSize  = 4 << 10
	sniffLines = 20
	// maxShownLen bounds a problem's Value, which goes back to the user.
	maxShownLen = 120
)

// source is an upload opened for reading: a workbook, or decoded text whose shape is known.
type source struct {
	layout    Layout
	text      *bufio.Reader // decoded text with LF line ends, for FormatText and FormatCSV
	encoding  func() Encoding
	firstLine int // the line the text reader starts on: 2 after Excel's "sep=;" line
	sheet     *sheetRows
}

// open recognises what r holds. A list of pairs, or one whose column is named, is a table.
func open(r io.Reader, opt Options, table bool) (*source, error) {
	if opt.Limits.MaxBytes > 0 {
		r = &limitedReader{r: r, max: opt.Limits.MaxBytes}
	}
	br := bufio.NewReaderSize(r, readBufferSize)
	head, err := br.Peek(magicSize)
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch t := binaryType(head); t {
	case "":
	case FileZip: // workbooks are zips; others are refused once opened
		data, err := io.ReadAll(br)
		if err != nil {
			return nil, err
		}
		rows, sheet, err := openWorkbook(data, opt.Limits)
		if err != nil {
			return nil, err
		}
		return &source{layout: Layout{Format: FormatWorkbook, Sheet: sheet}, sheet: rows}, nil
	default:
		return nil, &UnsupportedFileError{Type: t}
	}

	decoded, encoding := decodeText(br)
	s := &source{text: bufio.NewReaderSize(newTextReader(decoded), readBufferSize), encoding: encoding, firstLine: 1}
	head, err = s.text.Peek(sniffSize)
	if err != nil && err != io.EOF {
		return nil, err
	}
	lines := firstLines(head, len(head) < sniffSize)
	sep := byte(0)
	if len(lines) > 0 && lines[0].number == 1 {
		if sep = declaredSeparator(lines[0].text); sep != 0 {
			skip := bytes.IndexByte(head, '\n') + 1
			if skip == 0 {
				skip = len(head)
			}
			_, _ = s.text.Discard(skip) // cannot fail: the bytes are buffered
			s.firstLine, lines = 2, lines[1:]
		}
	}
	texts := make([][]byte, len(lines))
	for i, l := range lines {
		texts[i] = l.text
	}
	if sep == 0 {
		sep = sniffSeparator(texts)
	}
	switch {
	case table || opt.Format == FormatCSV || opt.Column != "" || s.firstLine > 1:
		s.layout.Format = FormatCSV
	case opt.Format == FormatText:
		s.layout.Format = FormatText
	default:
		s.layout.Format = guessFormat(texts, sep)
	}
	if s.layout.Format == FormatCSV {
		s.layout.Separator = rune(sep)
	}
	return s, nil
}

type sniffedLine struct {
	number int
	text   []byte
}

// firstLines are the first non-blank lines of head, leaving out a last one cut off unless it is
// the only one.
func firstLines(head []byte, complete bool) []sniffedLine {
	var lines []sniffedLine
	for number := 1; len(head) > 0 && len(lines) < sniffLines; number++ {
		line, rest, found := bytes.Cut(head, []byte{'\n'})
		if !found && !complete && len(lines) > 0 {
			break
		}
		if len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, sniffedLine{number, line})
		}
		head = rest
	}
	return lines
}

// rows reads the source as a table.
func (s *source) rows() rowReader {
	if s.sheet != nil {
		return s.sheet
	}
	return newCSVRows(s.text, byte(s.layout.Separator), s.firstLine-1)
}

// readAddressList calls add with each entry of a pasted list and its line. The entry is only
// valid during the call.
func (s *source) readAddressList(add func(line int, e entry) error) error {
	return eachLine(s.text, s.firstLine, func(line int, text []byte) error {
		return splitAddressList(text, func(e entry) error { return add(line, e) })
	})
}

// finish completes the layout once the source is read, and releases it.
func (s *source) finish() Layout {
	if s.encoding != nil {
		s.layout.Encoding = s.encoding()
	}
	if s.sheet != nil {
		s.sheet.close()
	}
	return s.layout
}

// eachLine calls fn with each line of r, without its line end, however long. The line is only
// valid during the call.
func eachLine(r *bufio.Reader, first int, fn func(line int, text []byte) error) error {
	var long []byte // a line longer than the read buffer
	for line := first; ; line++ {
		chunk, err := r.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			long = append(long, chunk...)
			chunk, err = r.ReadSlice('\n')
		}
		if len(long) > 0 {
			long = append(long, chunk...)
			chunk, long = long, long[:0]
		}
		if len(chunk) > 0 {
			if ferr := fn(line, bytes.TrimSuffix(chunk, []byte{'\n'})); ferr != nil {
				return ferr
			}
		}
		switch err {
		case nil:
		case io.EOF:
			return nil
		default:
			return err
		}
	}
}

// limitedReader fails with *TooLargeError once more than max bytes have been read.
type limitedReader struct {
	r    io.Reader
	max  int64
	read int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.read > l.max {
		return 0, &TooLargeError{Max: l.max}
	}
	if left := l.max - l.read + 1; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.read > l.max {
		return n - int(l.read-l.max), &TooLargeError{Max: l.max}
	}
	return n, err
}
