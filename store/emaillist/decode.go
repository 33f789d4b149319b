package emaillist

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names how a text upload's bytes were decoded, by its IANA name.
type Encoding string

const (
	EncodingUTF8        Encoding = "UTF-8"
	EncodingUTF16LE     Encoding = "UTF-16LE"
	EncodingUTF16BE     Encoding = "UTF-16BE"
	EncodingWindows1252 Encoding = "windows-1252"
)

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

// decodeText turns an upload into UTF-8, choosing the encoding from its start: a byte-order mark
// (dropped) names UTF-8 or UTF-16, as Excel's "Unicode Text" writes; ASCII text with every other
// byte NUL is UTF-16 without one; anything else is UTF-8 unless it turns out not to be, and then
// Windows-1252 (legacyFallback). The encoding it reports is known once the text is read.
func decodeText(src *bufio.Reader) (io.Reader, func() Encoding) {
	head, _ := src.Peek(4) // a shorter head is a shorter text, and its error comes again on Read
	var order unicode.Endianness
	switch {
	case bytes.HasPrefix(head, utf16LEBOM):
		_, _ = src.Discard(len(utf16LEBOM)) // cannot fail: the bytes are buffered
		order = unicode.LittleEndian
	case bytes.HasPrefix(head, utf16BEBOM):
		_, _ = src.Discard(len(utf16BEBOM))
		order = unicode.BigEndian
	case len(head) == 4 && head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0:
		order = unicode.LittleEndian
	case len(head) == 4 && head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0:
		order = unicode.BigEndian
	default:
		fb := &legacyFallback{}
		if bytes.HasPrefix(head, utf8BOM) {
			_, _ = src.Discard(len(utf8BOM))
			fb.utf8 = true // declared so: a stray byte later does not make it Windows-1252
		}
		return transform.NewReader(src, fb), fb.encoding
	}
	enc := EncodingUTF16LE
	if order == unicode.BigEndian {
		enc = EncodingUTF16BE
	}
	dec := unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder()
	return transform.NewReader(src, dec), func() Encoding { return enc }
}

// legacyFallback passes UTF-8 on unchanged. A byte that is not UTF-8 arriving before any
// non-ASCII UTF-8 means the text is Windows-1252 (Excel's CSV in western European locales), so
// it and everything after it are decoded as that; what came before was ASCII, the same in both.
// In text already shown to be UTF-8, a stray invalid byte is decoded as Windows-1252 alone.
type legacyFallback struct {
	utf8   bool                  // a non-ASCII UTF-8 sequence has passed
	cp1252 transform.Transformer // set once the text is known to be Windows-1252
}

func (t *legacyFallback) encoding() Encoding {
	if t.cp1252 != nil {
		return EncodingWindows1252
	}
	return EncodingUTF8
}

// Reset forgets a Windows-1252 verdict; UTF-8 declared by a byte-order mark stays declared.
func (t *legacyFallback) Reset() {
	t.cp1252 = nil
}

func (t *legacyFallback) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if t.cp1252 != nil {
		return t.cp1252.Transform(dst, src, atEOF)
	}
	for nSrc < len(src) {
		// Lists are mostly ASCII: copy runs of it at once.
		run := min(len(src)-nSrc, len(dst)-nDst)
		i := 0
		for i < run && src[nSrc+i] < utf8.RuneSelf {
			i++
		}
		copy(dst[nDst:], src[nSrc:nSrc+i])
		nDst, nSrc = nDst+i, nSrc+i
		if nSrc == len(src) {
			break
		}
		if nDst == len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		rest := src[nSrc:]
		if !atEOF && !utf8.FullRune(rest) {
			return nDst, nSrc, transform.ErrShortSrc
		}
		r, size := utf8.DecodeRune(rest)
		if r == utf8.RuneError && size == 1 {
			if !t.utf8 {
				t.cp1252 = charmap.Windows1252.NewDecoder()
				n, m, err := t.cp1252.Transform(dst[nDst:], rest, atEOF)
				return nDst + n, nSrc + m, err
			}
			r = charmap.Windows1252.DecodeByte(rest[0])
		} else {
			t.utf8 = true
		}
		if utf8.RuneLen(r) > len(dst)-nDst {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
	}
	return nDst, nSrc, nil
}
