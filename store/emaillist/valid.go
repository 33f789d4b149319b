package emaillist

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits of a practical addr-spec (RFC 5321 §4.5.3.1): what mail servers accept, not all RFC 5322 allows.
// MaxAddressLength is the longest address accepted anywhere, in a list or as a person's sign-in.
const (
	MaxAddressLength = 254
	maxLocalLen      = 64
	maxLabelLen      = 63
)

// Internationalized domains are compared in the ASCII form that DNS looks up, so one address
// written with "bücher.de" and with "xn--bcher-kva.de" is one address. The lookup profile also
// folds case and width the way browsers do; the display profile turns the ASCII form back.
var (
	idnaToASCII   = idna.Lookup
	idnaToUnicode = idna.Display
)

// ValidEmail is the one email rule of the application. It trims s, removes the invisible
// characters that copying from web pages and documents brings (see invisibleName), and reports
// the canonical address: the part before the @ lower-cased, the domain lower-cased in its ASCII
// (IDNA) form. When s is not an address we can send to, it reports a short reason instead
// ("missing @", "domain has no dot", …): a lower-case phrase without a final period, for use
// inside sentences, that also names an invisible character it removed.
func ValidEmail(s string) (normalized, reason string) {
	s, removed := withoutInvisible(strings.TrimSpace(s))
	normalized, reason = canonical(strings.TrimSpace(s))
	if reason != "" && removed != 0 {
		reason = fmt.Sprintf("%s (after removing a %s, U+%04X)", reason, invisibleName(removed), removed)
	}
	return normalized, reason
}

// DisplayEmail is a canonical address as pages show it: an internationalized domain in Unicode.
// Anything it cannot convert is returned unchanged.
func DisplayEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !hasACELabel(addr[at+1:]) {
		return addr
	}
	domain, err := idnaToUnicode.ToUnicode(addr[at+1:])
	if err != nil {
		return addr
	}
	return addr[:at+1] + domain
}

// invisibleName names the characters that copy and paste bring into lists unseen; they are
// removed wherever they stand in an address. 0 means the rune is not one of them.
func invisibleName(r rune) string {
	switch r {
	case '\u00A0':
		return "no-break space"
	case '\u00AD':
		return "soft hyphen"
	case '\u200B':
		return "zero-width space"
	case '\u200C':
		return "zero-width non-joiner"
	case '\u200D':
		return "zero-width joiner"
	case '\u2060':
		return "word joiner"
	case '\uFEFF':
		return "byte-order mark"
	}
	return ""
}

// withoutInvisible is s without the characters invisibleName names, and the first one removed.
func withoutInvisible(s string) (string, rune) {
	if !hasNonASCII(s) {
		return s, 0
	}
	var first rune
	cleaned := strings.Map(func(r rune) rune {
		if invisibleName(r) == "" {
			return r
		}
		if first == 0 {
			first = r
		}
		return -1
	}, s)
	return cleaned, first
}

func hasNonASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// unseen reports whether r shows as nothing, or as a blank that is not a plain space, so that a
// reason or a shown value must name it.
func unseen(r rune) bool {
	return invisibleName(r) != "" || unicode.Is(unicode.Cf, r) || unicode.IsControl(r) ||
		r != ' ' && unicode.IsSpace(r)
}

func canonical(s string) (string, string) {
	if s == "" {
		return "", "missing email address"
	}
	if strings.HasSuffix(s, ">") && strings.Contains(s, "<") {
		// Mail clients copy "Bob <bob@example.com>"; point at the part we want.
		inner := s[strings.LastIndexByte(s, '<')+1 : len(s)-1]
		return "", fmt.Sprintf("write just the address (%s), without a name or <angle brackets>", shown(inner))
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
	if nonASCII {
		for _, r := range s {
			if unseen(r) {
				return "", fmt.Sprintf("contains an invisible character (U+%04X)", r)
			}
		}
	}
	switch {
	case len(s) > MaxAddressLength && (!nonASCII || len(s) > utf8.UTFMax*MaxAddressLength):
		return "", fmt.Sprintf("longer than %d characters", MaxAddressLength)
	case space:
		return "", "contains spaces"
	case at < 0:
		return "", "missing @"
	case ats > 1:
		return "", "more than one @"
	case at == 0:
		return "", "nothing before the @"
	case at == len(s)-1:
		return "", "nothing after the @"
	}
	local, domain := s[:at], s[at+1:]
	if reason := localPartProblem(local); reason != "" {
		return "", reason
	}
	ascii, reason := asciiDomain(domain)
	switch {
	case reason != "":
		return "", reason
	case ascii == domain:
		return strings.ToLower(s), "" // one allocation at most: lists run to 100,000 addresses
	case len(local)+1+len(ascii) > MaxAddressLength:
		return "", fmt.Sprintf("longer than %d characters", MaxAddressLength)
	}
	return strings.ToLower(local + "@" + ascii), ""
}

func localPartProblem(local string) string {
	switch {
	case hasNonASCII(local):
		return "non-ASCII characters before the @ are not supported"
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

// asciiDomain is the domain in the form DNS looks up, or a reason it is not one. Only
// internationalized domains go through IDNA (which also lower-cases them): plain ones keep the
// rules below alone.
func asciiDomain(domain string) (string, string) {
	if domain[0] == '[' {
		return "", "IP-address domains are not supported"
	}
	if hasNonASCII(domain) || hasACELabel(domain) {
		ascii, err := idnaToASCII.ToASCII(domain)
		if err != nil {
			return "", "domain is not a valid internationalized domain name"
		}
		domain = ascii
	}
	if reason := domainProblem(domain); reason != "" {
		return "", reason
	}
	return domain, ""
}

func domainProblem(domain string) string {
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

// hasACELabel reports whether an ASCII domain has a label in IDNA's ASCII-compatible encoding.
func hasACELabel(domain string) bool {
	for label := range strings.SplitSeq(domain, ".") {
		if len(label) >= 4 && strings.EqualFold(label[:4], "xn--") {
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isAtext reports whether c may appear unquoted before the @ (RFC 5322 atext).
func isAtext(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
