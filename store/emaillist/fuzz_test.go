package emaillist_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"

	"github.com/seatplan/seatplan/store/emaillist"
)

// nastySeeds are inputs that have broken list parsers before.
var nastySeeds = []string{
	"",
	"\uFEFF",
	"\uFEFFemail\r\nA@x.com\r\n",
	"a@x.com\r\nb@x.com\rc@x.com\n\r\n",
	"name,email\n\"Lee, Ann\",\"ann@x.com\"\n\"multi\nline\",b@y.org\n",
	"email;course\n\"a@x.com\";\"c;1\"\n",
	"\"unclosed\n",
	"a\"b@x.com\n",
	"\"a\"\"b\"@x.com\n",
	"\x00\x00\x00",
	"a@x.com\x00\n",
	"\x89PNG\r\n\x1a\n",
	"\xff\xfee\x00m\x00",
	"jörg@bücher.de, Ann <ann@x.com>; \u00a0b@y.org\u00a0\n",
	"\xe2\x82",
	// Longer than the sniffed head; lines beyond the read buffer have their own test, as
	// inputs that large slow the fuzzer down to nothing.
	"a@x.com," + strings.Repeat(" ", 5000) + "b@y.org\n",
	strings.Repeat("x", 5000) + "@y.org\n",
	"email,course\na@x.com,A\nA@X.COM,A\na@x.com, A \n,\n",
	"course,email\n,\n\n\t\n",
}

// exportSeeds are real exports, made as the programs that write them do.
func exportSeeds(f *testing.F) [][]byte {
	return [][]byte{
		utf16Bytes(f, "Name\tE-Mail\r\nJörg Müller\tjoerg@example.de\r\n", unicode.LittleEndian, unicode.UseBOM),
		utf16Bytes(f, "email,course\r\nann@x.com,cs101\r\n", unicode.BigEndian, unicode.UseBOM),
		windows1252(f, "Name;E-Mail;Kurs\r\nMüller, Jörg;joerg@example.de;Grundkurs\r\nGöß;jörg@x.de;\r\n"),
		[]byte(googleContacts),
		[]byte(outlookContacts),
		[]byte(outlookTo),
		[]byte("sep=;\r\nName;Mail\r\nLee, Ann;ann@x.com\r\n"),
		workbook(f, sheet{name: "Teilnehmer", rows: [][]any{{"Name", "Work e-mail", "Course"}, {"Zoë", "Zoë <zoe@bücher.de>", "cs101"}, nil, {"Bad", "bad@", 3}}}),
	}
}

func FuzzReadEmails(f *testing.F) {
	for _, s := range nastySeeds {
		for format := range 3 {
			f.Add([]byte(s), uint8(format), uint8(0))
		}
	}
	for _, b := range exportSeeds(f) {
		f.Add(b, uint8(emaillist.FormatAuto), uint8(0))
	}
	f.Add([]byte("a@x.com\nb@x.com\nc@x.com\n"), uint8(emaillist.FormatText), uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, format, maxEntries uint8) {
		f := emaillist.Format(format % 3)
		lim := emaillist.Limits{MaxEntries: int(maxEntries)}
		got, err := emaillist.ReadEmails(bytes.NewReader(in), emaillist.Options{Format: f, Limits: lim})

		// Reads of any size give the same outcome.
		again, againErr := emaillist.ReadEmails(iotest.OneByteReader(bytes.NewReader(in)), emaillist.Options{Format: f, Limits: lim})
		if !reflect.DeepEqual(got, again) || !reflect.DeepEqual(err, againErr) {
			t.Fatalf("one-byte reads give %+v, %v; whole reads %+v, %v", again, againErr, got, err)
		}
		if err != nil {
			checkRejection(t, err, lim)
			return
		}
		if got.Entries != len(got.Addresses)+got.Duplicates+len(got.Problems) {
			t.Fatalf("entries %d != %d addresses + %d duplicates + %d problems",
				got.Entries, len(got.Addresses), got.Duplicates, len(got.Problems))
		}
		if lim.MaxEntries > 0 && got.Entries > lim.MaxEntries {
			t.Fatalf("%d entries beyond the limit of %d", got.Entries, lim.MaxEntries)
		}
		seen := make(map[string]bool)
		for _, a := range got.Addresses {
			checkAddress(t, a)
			if seen[a] {
				t.Fatalf("%q twice", a)
			}
			seen[a] = true
		}
		line := 1
		for _, p := range got.Problems {
			if p.Line < line {
				t.Fatalf("problem line %d after line %d", p.Line, line)
			}
			line = p.Line
			if p.Reason == "" || !utf8.ValidString(p.Value) {
				t.Fatalf("bad problem %+v", p)
			}
		}
	})
}

func FuzzReadPairs(f *testing.F) {
	for _, s := range nastySeeds {
		f.Add([]byte(s), uint8(0))
	}
	for _, b := range exportSeeds(f) {
		f.Add(b, uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, maxEntries uint8) {
		lim := emaillist.Limits{MaxEntries: int(maxEntries)}
		pairs, problems, err := pairsOf(bytes.NewReader(in), lim)

		againPairs, againProblems, againErr := pairsOf(iotest.OneByteReader(bytes.NewReader(in)), lim)
		if !reflect.DeepEqual(pairs, againPairs) || !reflect.DeepEqual(problems, againProblems) || !reflect.DeepEqual(err, againErr) {
			t.Fatalf("one-byte reads give a different outcome")
		}
		if err != nil {
			checkRejection(t, err, lim)
			return
		}
		if lim.MaxEntries > 0 && len(pairs)+len(problems) > lim.MaxEntries {
			t.Fatalf("%d entries beyond the limit of %d", len(pairs)+len(problems), lim.MaxEntries)
		}
		// Every entry is a pair or a problem, numbered 0, 1, 2… with lines that never go back.
		lines := make([]int, len(pairs)+len(problems))
		seen := make(map[emaillist.Pair]bool)
		for _, p := range pairs {
			checkAddress(t, p.Email)
			if p.Course == "" || p.Course != strings.TrimSpace(p.Course) {
				t.Fatalf("course %q", p.Course)
			}
			key := emaillist.Pair{Email: p.Email, Course: p.Course}
			if seen[key] {
				t.Fatalf("pair %+v twice", key)
			}
			seen[key] = true
			lines[p.Index] = p.Line
		}
		for _, p := range problems {
			if p.Reason == "" || lines[p.Index] != 0 {
				t.Fatalf("bad problem %+v", p)
			}
			lines[p.Index] = p.Line
		}
		last := 1
		for i, line := range lines {
			if line < last {
				t.Fatalf("entry %d on line %d, after line %d", i, line, last)
			}
			last = line
		}
	})
}

func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"ann@x.com", " A.B+c@Sub.Example.ORG ", "Bob <b@x.com>", "a@b@c", "\"q\"@x.com", "a@1.2", "ü@x.de", "a@[1.2.3.4]",
		"anna@bücher.de", "Anna@XN--BCHER-KVA.DE", "a@xn--zz.de", "\u200bann@x.com\u00ad", "a@例え.テスト", "a@straße.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, reason := emaillist.ValidEmail(s)
		if (addr == "") == (reason == "") {
			t.Fatalf("ValidEmail(%q) = %q, %q: want exactly one of address and reason", s, addr, reason)
		}
		if addr == "" {
			return
		}
		checkAddress(t, addr)
		// The form pages show is the same address.
		if again, reason := emaillist.ValidEmail(emaillist.DisplayEmail(addr)); again != addr {
			t.Fatalf("%q is shown as %q, which reads as %q (%s)", addr, emaillist.DisplayEmail(addr), again, reason)
		}
	})
}

// checkAddress fails unless a is a normalized address that passes ValidEmail unchanged.
func checkAddress(t *testing.T, a string) {
	t.Helper()
	again, reason := emaillist.ValidEmail(a)
	if again != a || reason != "" || a != strings.ToLower(a) || strings.Count(a, "@") != 1 || len(a) > 254 {
		t.Fatalf("address %q is not normalized and valid (%q, %q)", a, again, reason)
	}
}

func checkRejection(t *testing.T, err error, lim emaillist.Limits) {
	t.Helper()
	var (
		notText     *emaillist.NotTextError
		syntax      *emaillist.SyntaxError
		tooMany     *emaillist.TooManyError
		unsupported *emaillist.UnsupportedFileError
		noColumn    *emaillist.NoAddressColumnError
	)
	switch {
	case errors.As(err, &unsupported):
		if unsupported.Type == "" {
			t.Fatalf("unsupported file of no type: %v", err)
		}
	case errors.As(err, &noColumn):
	case errors.As(err, &notText):
		if notText.Line < 1 {
			t.Fatalf("not text at line %d", notText.Line)
		}
	case errors.As(err, &syntax):
		if syntax.Line < 1 {
			t.Fatalf("syntax error at line %d", syntax.Line)
		}
	case errors.As(err, &tooMany):
		if tooMany.Max != lim.MaxEntries || lim.MaxEntries == 0 {
			t.Fatalf("too many with limit %d: %v", lim.MaxEntries, err)
		}
	default:
		t.Fatalf("unexpected error %v", err)
	}
}
