package emaillist

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"
)

// textReader passes an upload on as UTF-8 text with LF line ends, so that both the text and the
// CSV reader above it count the lines an editor shows. It drops a leading byte-order mark, turns
// CRLF and lone CR (old Mac exports) into LF, and fails with *NotTextError at the first NUL byte or
// invalid UTF-8 sequence. Errors of the underlying reader pass through unchanged, so a caller's
// size limit (http.MaxBytesError) stays recognisable.
type textReader struct {
	src     *bufio.Reader
	line    int    // line of the next byte passed on, 1-based
	lastCR  bool   // the last byte passed on was a CR, so a following LF ends no new line
	pending []byte // start of a UTF-8 sequence cut off by the previous read, checked once complete
	err     error  // sticky: once the input is rejected it stays rejected
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func newTextReader(r io.Reader) *textReader {
	src := bufio.NewReader(r)
	if head, _ := src.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		_, _ = src.Discard(len(utf8BOM)) // cannot fail: the bytes are buffered
	}
	return &textReader{src: src, line: 1}
}

func (t *textReader) Read(p []byte) (int, error) {
	for t.err == nil {
		n, err := t.src.Read(p)
		b := t.normalizeLineEnds(p[:n])
		if line := t.nonTextLine(b, err == io.EOF); line > 0 {
			t.err = &NotTextError{Line: line}
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

// nonTextLine checks b, the next bytes to pass on, and reports the line of the first NUL byte or
// invalid UTF-8 sequence, or 0. A sequence cut off at the end of b waits in t.pending until the
// bytes that complete it arrive.
func (t *textReader) nonTextLine(b []byte, atEOF bool) int {
	rest := b
	if len(t.pending) > 0 {
		had := len(t.pending)
		for len(rest) > 0 && !utf8.FullRune(t.pending) {
			t.pending = append(t.pending, rest[0])
			rest = rest[1:]
		}
		if !utf8.FullRune(t.pending) {
			if atEOF {
				return t.line
			}
			return 0
		}
		r, size := utf8.DecodeRune(t.pending)
		if r == utf8.RuneError && size == 1 {
			return t.line
		}
		rest = b[size-had:]
		t.pending = t.pending[:0]
	}
	cut := completeRunesLen(rest)
	if bad := firstNonText(rest[:cut]); bad >= 0 {
		return t.line + bytes.Count(b[:len(b)-len(rest)+bad], []byte{'\n'})
	}
	t.pending = append(t.pending, rest[cut:]...)
	if atEOF && len(t.pending) > 0 {
		return t.line + bytes.Count(b, []byte{'\n'})
	}
	return 0
}

// completeRunesLen is the length of b without a UTF-8 sequence cut off at its end.
func completeRunesLen(b []byte) int {
	for i := len(b) - 1; i >= 0 && i > len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
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

// firstNonText is the offset of the first NUL byte or invalid UTF-8 in b, or -1.
func firstNonText(b []byte) int {
	nul := bytes.IndexByte(b, 0)
	if nul < 0 && utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == 0 || r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
