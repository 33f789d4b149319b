package emaillist

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// entry is one address of a pasted list: addr is what to validate, raw how it was written (a
// whole `Name <addr>` mailbox), for a problem to show. Both point into the line.
type entry struct {
	raw, addr []byte
}

// splitAddressList calls emit with each entry of one line of a pasted list. Entries are
// separated by commas, semicolons, tabs or spaces, as people, spreadsheets and mail clients
// write them. A mailbox, `Name <addr>` or `"Last, First" <addr>`, is one entry: its address is
// the part in angle brackets, and the name before it is not an entry (mail clients often repeat
// the address there). Outlook's unquoted `Last, First <addr>` is one mailbox too.
func splitAddressList(line []byte, emit func(entry) error) error {
	var held piece // a name ending in a comma that may be the start of the next mailbox
	for start := 0; start <= len(line); {
		p := nextPiece(line, start)
		start = p.end + 1
		if held.nameOnly(line) {
			if p.angle {
				p.start = held.start
			} else if err := held.split(line, emit); err != nil {
				return err
			}
			held = piece{}
		}
		if p.sep == ',' && p.nameOnly(line) {
			held = p
			continue
		}
		if err := p.split(line, emit); err != nil {
			return err
		}
	}
	return held.split(line, emit)
}

// piece is a run of a line between separators that are not quoted or in angle brackets.
type piece struct {
	start, end int  // line[start:end]; end is at the separator or the end of the line
	sep        byte // the separator at end, or 0 at the end of the line
	at, angle  bool // the piece holds an @, an angle bracket outside quotes
}

func nextPiece(line []byte, start int) piece {
	p := piece{start: start, end: len(line)}
	quoted, inAngle := false, false
	for i := start; i < len(line); i++ {
		c := line[i]
		if c == '@' {
			p.at = true
		}
		switch {
		case quoted:
			if c == '\\' {
				i++
			} else if c == '"' {
				quoted = false
			}
		case inAngle:
			inAngle = c != '>'
		case c == '"':
			quoted = true
		case c == '<':
			inAngle, p.angle = true, true
		case c == ',' || c == ';' || c == '\t':
			p.end, p.sep = i, c
			return p
		}
	}
	return p
}

// nameOnly reports whether the piece could be the surname of `Last, First <addr>`.
func (p piece) nameOnly(line []byte) bool {
	return p.end > p.start && !p.at && !p.angle && len(bytes.TrimSpace(line[p.start:p.end])) > 0
}

// split emits the piece's entries: its words, or its mailboxes. Around mailboxes, words are
// names, unless they hold an @ and differ from the address that follows (Outlook writes
// 'anna@example.de' <anna@example.de> for a contact without a name).
func (p piece) split(line []byte, emit func(entry) error) error {
	b := line[p.start:p.end]
	if !p.angle {
		return eachWord(b, func(w []byte) error {
			addr := w
			if len(w) >= 2 && w[0] == '"' && w[len(w)-1] == '"' {
				addr = w[1 : len(w)-1]
			}
			return emit(entry{raw: w, addr: addr})
		})
	}
	for len(b) > 0 {
		open := indexUnquoted(b, '<')
		closing := -1
		if open >= 0 {
			if closing = bytes.IndexByte(b[open:], '>'); closing >= 0 {
				closing += open
			}
		}
		var addr []byte
		switch {
		case open < 0:
			return emitAddressWords(b, nil, emit) // after the last mailbox
		case closing < 0: // the bracket was never closed: take what follows it
			addr = trimSpace(b[open+1:])
		default:
			addr = trimSpace(b[open+1 : closing])
		}
		if err := emitAddressWords(b[:open], addr, emit); err != nil {
			return err
		}
		if closing < 0 {
			return emit(entry{raw: trimSpace(b), addr: addr})
		}
		if err := emit(entry{raw: trimSpace(b[:closing+1]), addr: addr}); err != nil {
			return err
		}
		b = b[closing+1:]
	}
	return nil
}

// emitAddressWords emits the unquoted words of a name that hold an @, other than next.
func emitAddressWords(name, next []byte, emit func(entry) error) error {
	return eachWord(name, func(w []byte) error {
		if w[0] == '"' || bytes.IndexByte(w, '@') < 0 || bytes.EqualFold(bytes.Trim(w, "'"), next) {
			return nil
		}
		return emit(entry{raw: w, addr: w})
	})
}

// indexUnquoted is the index of the first c in b outside double quotes, or -1.
func indexUnquoted(b []byte, c byte) int {
	quoted := false
	for i := 0; i < len(b); i++ {
		switch {
		case quoted && b[i] == '\\':
			i++
		case b[i] == '"':
			quoted = !quoted
		case !quoted && b[i] == c:
			return i
		}
	}
	return -1
}

// eachWord calls fn with each run of b between white space outside double quotes.
func eachWord(b []byte, fn func([]byte) error) error {
	start, quoted := -1, false
	for i := 0; i < len(b); {
		size := 1
		space := false
		switch c := b[i]; {
		case quoted:
			if c == '\\' {
				size = min(2, len(b)-i)
			} else if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
		case c == ' ' || c == '\v' || c == '\f' || c == '\n' || c == '\r':
			space = true
		case c >= utf8.RuneSelf:
			var r rune
			r, size = utf8.DecodeRune(b[i:])
			space = unicode.IsSpace(r)
		}
		if space && start >= 0 {
			if err := fn(b[start:i]); err != nil {
				return err
			}
			start = -1
		} else if !space && start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		return fn(b[start:])
	}
	return nil
}

// trimSpace trims white space, Unicode's included, from both ends of b.
func trimSpace(b []byte) []byte {
	return bytes.TrimFunc(b, unicode.IsSpace)
}
