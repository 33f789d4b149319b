package emaillist

import (
	"bytes"
	"io"
)

// textReader passes decoded text on with LF line ends, so that both the text and the CSV reader
// above it count the lines an editor shows. It turns CRLF and lone CR (old Mac exports) into LF,
// and fails with *NotTextError at the first NUL: text has none, binary files mostly do. Errors of
// the underlying reader pass through unchanged, so a caller's size limit (http.MaxBytesError)
// stays recognisable.
type textReader struct {
	src    io.Reader
	line   int   // line of the next byte passed on, 1-based
	lastCR bool  // the last byte passed on was a CR, so a following LF ends no new line
	err    error // sticky: once the input is rejected it stays rejected
}

func newTextReader(r io.Reader) *textReader {
	return &textReader{src: r, line: 1}
}

func (t *textReader) Read(p []byte) (int, error) {
	for t.err == nil {
		n, err := t.src.Read(p)
		b := t.normalizeLineEnds(p[:n])
		if nul := bytes.IndexByte(b, 0); nul >= 0 {
			t.err = &NotTextError{Line: t.line + bytes.Count(b[:nul], []byte{'\n'})}
			return 0, t.err
		}
		t.line += bytes.Count(b, []byte{'\n'})
		t.err = err
		if len(b) > 0 || err != nil {
			return len(b), err
		}
	}
	return 0, t.err
}

// normalizeLineEnds rewrites CRLF and lone CR to LF in place.
func (t *textReader) normalizeLineEnds(b []byte) []byte {
	if !t.lastCR && bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	w := 0
	for _, c := range b {
		if c == '\n' && t.lastCR {
			t.lastCR = false
			continue
		}
		t.lastCR = c == '\r'
		if t.lastCR {
			c = '\n'
		}
		b[w] = c
		w++
	}
	return b[:w]
}
