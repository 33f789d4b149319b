package licensing

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// ETag returns the strong entity tag of the document this keyring would sign
// for a license at changedAt, so a server answers 304 without signing. It
// covers the current key id as well: after a rotation every instance fetches
// a document signed by the new key instead of keeping one whose key will
// eventually leave the key set.
func (k *Keyring) ETag(licenseID string, changedAt time.Time) string {
	buf := make([]byte, 0, 128)
	buf = append(buf, k.currentKID...)
	buf = append(buf, 0)
	buf = append(buf, licenseID...)
	buf = append(buf, 0)
	buf = binary.BigEndian.AppendUint64(buf, uint64(changedAt.UnixNano()))
	sum := sha256.Sum256(buf)

	const tagBytes = 18 // 144 bits: a multiple of 3, so base64url needs no padding
	var tag [1 + tagBytes*4/3 + 1]byte
	tag[0], tag[len(tag)-1] = '"', '"'
	base64.RawURLEncoding.Encode(tag[1:len(tag)-1], sum[:tagBytes])
	return string(tag[:])
}

// MatchesETag reports whether an If-None-Match header value matches etag,
// using the weak comparison RFC 9110 §13.1.2 prescribes: "*" matches, and
// W/ prefixes on either side are ignored. A malformed header matches
// nothing, so the client gets the full document.
func MatchesETag(ifNoneMatch, etag string) bool {
	want, rest, ok := cutEntityTag(etag)
	if !ok || rest != "" {
		return false
	}
	list := strings.Trim(ifNoneMatch, " \t")
	if list == "*" {
		return true
	}
	matched := false
	for {
		// Empty list elements are allowed (RFC 9110 §5.6.1).
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			return matched
		}
		var tag string
		if tag, list, ok = cutEntityTag(list); !ok {
			return false
		}
		matched = matched || tag == want
		list = strings.TrimLeft(list, " \t")
		if list != "" && list[0] != ',' {
			return false
		}
	}
}

// cutEntityTag splits s after a leading entity-tag ([W/] DQUOTE *etagc
// DQUOTE) and returns its opaque part without the weakness prefix.
func cutEntityTag(s string) (opaque, rest string, ok bool) {
	s = strings.TrimPrefix(s, "W/")
	if len(s) < 2 || s[0] != '"' {
		return "", "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[:i+1], s[i+1:], true
		case c == 0x21, 0x23 <= c && c <= 0x7e, c >= 0x80: // etagc
		default:
			return "", "", false
		}
	}
	return "", "", false
}
