package emaillist

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits of a practical addr-spec (RFC 5321 §4.5.3.1): what mail servers accept, not all RFC 5322 allows.
const (
	maxAddressLen = 254
	maxLocalLen   = 64
	maxLabelLen   = 63
)

// ValidEmail is the one email rule of the application. It trims s and reports the lower-cased
// address, or a short reason ("missing @", "domain has no dot", …) when s is not an address we
// can send to. Reasons are lower-case phrases without a final period, for use inside sentences.
func ValidEmail(s string) (normalized, reason string) {
	s = strings.TrimSpace(s)
	if reason := addressProblem(s); reason != "" {
		return "", reason
	}
	return strings.ToLower(s), ""
}

func addressProblem(s string) string {
	if s == "" {
		return "missing email address"
	}
	if strings.HasSuffix(s, ">") && strings.Contains(s, "<") {
		// Mail clients copy "Bob <bob@example.com>"; point at the part we want.
		inner := s[strings.LastIndexByte(s, '<')+1 : len(s)-1]
		return fmt.Sprintf("write just the address (%s), without a name or <angle brackets>", shown(inner))
	}
	// One pass for what the checks below need: lists run to 100,000 addresses.
	nonASCII, space, at, ats := false, false, -1, 0
	for i := range len(s) {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			nonASCII = true
		case c == ' ' || '\t' <= c && c <= '\r':
			space = true
		case c == '@':
			if ats++; at < 0 {
				at = i
			}
		}
	}
	switch {
	case nonASCII:
		return "non-ASCII characters are not supported"
	case len(s) > maxAddressLen:
		return fmt.Sprintf("longer than %d characters", maxAddressLen)
	case space:
		return "contains spaces"
	case at < 0:
		return "missing @"
	case ats > 1:
		return "more than one @"
	case at == 0:
		return "nothing before the @"
	case at == len(s)-1:
		return "nothing after the @"
	}
	if reason := localPartProblem(s[:at]); reason != "" {
		return reason
	}
	return domainProblem(s[at+1:])
}

func localPartProblem(local string) string {
	switch {
	case local[0] == '"':
		return "quoted names before the @ are not supported"
	case len(local) > maxLocalLen:
		return fmt.Sprintf("the part before the @ is longer than %d characters", maxLocalLen)
	case local[0] == '.' || local[len(local)-1] == '.':
		return "the part before the @ starts or ends with a dot"
	case strings.Contains(local, ".."):
		return "the part before the @ has two dots in a row"
	}
	for i := range len(local) {
		if c := local[i]; !isAtext(c) && c != '.' {
			return fmt.Sprintf("the part before the @ contains %q", rune(c))
		}
	}
	return ""
}

func domainProblem(domain string) string {
	if domain[0] == '[' {
		return "IP-address domains are not supported"
	}
	for i := range len(domain) {
		if c := domain[i]; !isAlnum(c) && c != '-' && c != '.' {
			return fmt.Sprintf("domain contains %q", rune(c))
		}
	}
	if !strings.Contains(domain, ".") {
		return "domain has no dot"
	}
	var last string
	for label := range strings.SplitSeq(domain, ".") {
		switch {
		case label == "":
			return "domain has an empty part (a dot at the start or end, or two in a row)"
		case len(label) > maxLabelLen:
			return fmt.Sprintf("domain has a part longer than %d characters", maxLabelLen)
		case label[0] == '-' || label[len(label)-1] == '-':
			return "domain has a part that starts or ends with a hyphen"
		}
		last = label
	}
	if strings.Trim(last, "0123456789") == "" {
		return "domain ends in a number, not a name"
	}
	return ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isAtext reports whether c may appear unquoted before the @ (RFC 5322 atext).
func isAtext(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
