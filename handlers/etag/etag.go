// Package etag reads and compares the entity-tags of conditional requests
// (RFC 9110 §8.8.3 and §13.1): the one parser behind every If-Match and
// If-None-Match the server honours.
package etag

import (
	"net/http"
	"strings"
)

// Strong returns opaque as a strong entity-tag, "opaque". The opaque part
// must hold only entity-tag characters (no '"', no spaces or controls).
func Strong(opaque string) string { return `"` + opaque + `"` }

// Field returns the value of a conditional header, its repeated lines
// joined into one list as RFC 9110 §5.3 allows, and whether it was sent at
// all: a header sent empty is a condition that nothing matches.
func Field(h http.Header, name string) (string, bool) {
	values := h.Values(name)
	switch len(values) {
	case 0:
		return "", false
	case 1:
		return values[0], true
	}
	return strings.Join(values, ", "), true
}

// MatchStrong evaluates If-Match: it reports whether field is "*" or lists
// an entity-tag equal to current under the strong comparison, where weak
// tags match nothing (RFC 9110 §8.8.3.2, §13.1.1). The caller passes the
// tag of a representation that exists; "*" matches any. A malformed field
// matches nothing.
func MatchStrong(field, current string) bool { return match(field, current, true) }

// MatchWeak evaluates If-None-Match's list: it reports whether field is "*"
// or lists an entity-tag equal to current under the weak comparison, which
// ignores W/ on either side (RFC 9110 §13.1.2). A malformed field matches
// nothing, so the client is sent the full answer.
func MatchWeak(field, current string) bool { return match(field, current, false) }

func match(field, current string, strong bool) bool {
	want, wantWeak, rest, ok := cut(current)
	if !ok || rest != "" || (strong && wantWeak) {
		return false
	}
	list := strings.Trim(field, " \t")
	if list == "*" {
		return true
	}
	matched := false
	for {
		// Empty list elements are allowed and ignored (RFC 9110 §5.6.1).
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			return matched
		}
		tag, weak, rest, ok := cut(list)
		if !ok {
			return false
		}
		matched = matched || (tag == want && !(strong && weak))
		list = strings.TrimLeft(rest, " \t")
		if list != "" && list[0] != ',' {
			return false
		}
	}
}

// cut splits s after a leading entity-tag ([W/] DQUOTE *etagc DQUOTE): its
// quoted opaque part, whether it was weak, and the rest of s.
func cut(s string) (opaque string, weak bool, rest string, ok bool) {
	if strings.HasPrefix(s, "W/") {
		s, weak = s[2:], true
	}
	if len(s) < 2 || s[0] != '"' {
		return "", false, "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[:i+1], weak, s[i+1:], true
		case c == 0x21, 0x23 <= c && c <= 0x7e, c >= 0x80: // etagc
		default:
			return "", false, "", false
		}
	}
	return "", false, "", false
}
