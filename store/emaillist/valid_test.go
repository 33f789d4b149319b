package emaillist_test

import (
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store/emaillist"
)

func TestValidEmail_AcceptsAndNormalizes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ann@example.com":                        "ann@example.com",
		"  Ann.Lee@Example.COM\t":                "ann.lee@example.com",
		"\u00a0bob@example.com\u00a0":            "bob@example.com", // no-break spaces from web pages
		"o'brien+seats@mail.example.co.uk":       "o'brien+seats@mail.example.co.uk",
		"x!#$%&*/=?^_`{|}~-@a-b.io":              "x!#$%&*/=?^_`{|}~-@a-b.io",
		"a@1.2.3.example":                        "a@1.2.3.example",
		"a@xn--bcher-kva.example":                "a@xn--bcher-kva.example", // punycode is plain ASCII
		strings.Repeat("l", 64) + "@example.com": strings.Repeat("l", 64) + "@example.com",
		"a@" + strings.Repeat("d", 63) + ".com":  "a@" + strings.Repeat("d", 63) + ".com",
	} {
		got, reason := emaillist.ValidEmail(in)
		if got != want || reason != "" {
			t.Errorf("ValidEmail(%q) = %q, %q; want %q, no reason", in, got, reason, want)
		}
	}
}

func TestValidEmail_RejectsWithReason(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 62) + ".com"
	for in, want := range map[string]string{
		"":                                       "missing email address",
		"   ":                                    "missing email address",
		"Bob <bob@x.com>":                        "write just the address (bob@x.com), without a name or <angle brackets>",
		`"Bob, B" <b@x.com>`:                     "write just the address (b@x.com), without a name or <angle brackets>",
		"<bob@x.com>":                            "write just the address (bob@x.com), without a name or <angle brackets>",
		"jörg@example.com":                       "non-ASCII characters before the @ are not supported",
		long:                                     "longer than 254 characters",
		"ann lee@x.com":                          "contains spaces",
		"a@x.com b@y.com":                        "contains spaces",
		"ann.example.com":                        "missing @",
		"a@b@example.com":                        "more than one @",
		"@example.com":                           "nothing before the @",
		"ann@":                                   "nothing after the @",
		`"ann"@example.com`:                      "quoted names before the @ are not supported",
		strings.Repeat("l", 65) + "@example.com": "the part before the @ is longer than 64 characters",
		".ann@example.com":                       "the part before the @ starts or ends with a dot",
		"ann.@example.com":                       "the part before the @ starts or ends with a dot",
		"a..nn@example.com":                      "the part before the @ has two dots in a row",
		"a(nn)@example.com":                      "the part before the @ contains '('",
		"mailto:a@x.com":                         "the part before the @ contains ':'",
		"ann@[192.0.2.1]":                        "IP-address domains are not supported",
		"ann@exa_mple.com":                       "domain contains '_'",
		"ann@example.com,":                       "domain contains ','",
		"ann@localhost":                          "domain has no dot",
		"ann@.example.com":                       "domain has an empty part (a dot at the start or end, or two in a row)",
		"ann@example.com.":                       "domain has an empty part (a dot at the start or end, or two in a row)",
		"ann@example..com":                       "domain has an empty part (a dot at the start or end, or two in a row)",
		"a@" + strings.Repeat("d", 64) + ".com":  "domain has a part longer than 63 characters",
		"ann@-example.com":                       "domain has a part that starts or ends with a hyphen",
		"ann@example-.com":                       "domain has a part that starts or ends with a hyphen",
		"ann@192.0.2.1":                          "domain ends in a number, not a name",
	} {
		got, reason := emaillist.ValidEmail(in)
		if got != "" || reason != want {
			t.Errorf("ValidEmail(%q) = %q, %q; want reason %q", in, got, reason, want)
		}
	}
}
