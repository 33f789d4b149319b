package etag

import (
	"net/http"
	"strings"
	"testing"
)

// The comparison table of RFC 9110 §8.8.3.2.
func TestComparison_RFC9110Table(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b         string
		strong, weak bool
	}{
		{`W/"1"`, `W/"1"`, false, true},
		{`W/"1"`, `W/"2"`, false, false},
		{`W/"1"`, `"1"`, false, true},
		{`"1"`, `"1"`, true, true},
	}
	for _, tt := range tests {
		for _, pair := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			if got := MatchStrong(pair[0], pair[1]); got != tt.strong {
				t.Errorf("strong comparison of %s and %s = %v, want %v", pair[0], pair[1], got, tt.strong)
			}
			if got := MatchWeak(pair[0], pair[1]); got != tt.weak {
				t.Errorf("weak comparison of %s and %s = %v, want %v", pair[0], pair[1], got, tt.weak)
			}
		}
	}
}

// The field values RFC 9110 §13.1.1 and §13.1.2 give as examples, and the
// cases around them that clients get wrong.
func TestMatch_RFC9110Examples(t *testing.T) {
	t.Parallel()
	const current = `"xyzzy"`
	tests := []struct {
		name         string
		field        string
		strong, weak bool // If-Match's answer, If-None-Match's answer
	}{
		{"OneTag", `"xyzzy"`, true, true},
		{"ListNamingIt", `"xyzzy", "r2d2xxxx", "c3piozzzz"`, true, true},
		{"ListNamingItLast", `"r2d2xxxx", "c3piozzzz", "xyzzy"`, true, true},
		{"Star", `*`, true, true},
		{"StarWithSpaces", " * ", true, true},
		{"WeakTag", `W/"xyzzy"`, false, true},
		{"WeakList", `W/"xyzzy", W/"r2d2xxxx", W/"c3piozzzz"`, false, true},
		{"StaleAndCurrent", `"stale", "xyzzy"`, true, true},
		{"StaleOnly", `"stale"`, false, false},
		{"EmptyTag", `""`, false, false},
		{"EmptyField", ``, false, false},
		{"BlankField", `  `, false, false},
		{"EmptyElements", ` , "a",, W/"xyzzy" ,`, false, true},
		{"NoSpaceAfterComma", `"xyzzy","other"`, true, true},
		{"CaseMatters", `"XYZZY"`, false, false},
		{"Unquoted", `xyzzy`, false, false},
		{"Unterminated", `"xyzzy`, false, false},
		{"LowerCaseWeak", `w/"xyzzy"`, false, false},
		{"SpaceAfterW", `W/ "xyzzy"`, false, false},
		{"NoComma", `"xyzzy" "other"`, false, false},
		{"TrailingGarbage", `"xyzzy", garbage`, false, false},
		{"StarInList", `*, "xyzzy"`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MatchStrong(tt.field, current); got != tt.strong {
				t.Errorf("If-Match: %s against %s = %v, want %v", tt.field, current, got, tt.strong)
			}
			if got := MatchWeak(tt.field, current); got != tt.weak {
				t.Errorf("If-None-Match: %s against %s = %v, want %v", tt.field, current, got, tt.weak)
			}
		})
	}
}

func TestMatch_CurrentTagMustBeWellFormed(t *testing.T) {
	t.Parallel()
	for _, current := range []string{`xyzzy`, `"xy zzy"`, `"a" "b"`, ``} {
		if MatchWeak(current, current) || MatchStrong("*", current) {
			t.Errorf("malformed current tag %q matched", current)
		}
	}
	if !MatchStrong(`"é"`, `"é"`) {
		t.Error("obs-text in an entity-tag did not match itself")
	}
	if MatchStrong(`W/"a"`, `W/"a"`) {
		t.Error("a weak current tag matched under the strong comparison")
	}
}

func TestField_JoinsRepeatedLines(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	if _, ok := Field(h, "If-Match"); ok {
		t.Error("an absent header was reported present")
	}
	h.Add("If-Match", "")
	if v, ok := Field(h, "If-Match"); !ok || v != "" || MatchStrong(v, `"a"`) {
		t.Errorf("an empty header: %q %v", v, ok)
	}
	h.Set("If-Match", `"a"`)
	h.Add("If-Match", `"b"`)
	if v, ok := Field(h, "If-Match"); !ok || !MatchStrong(v, `"b"`) || !MatchStrong(v, `"a"`) {
		t.Errorf("repeated lines gave %q", v)
	}
	if got := Strong("01J"); got != `"01J"` || !MatchStrong(got, got) {
		t.Errorf("Strong(01J) = %s", got)
	}
}

func BenchmarkMatchWeak(b *testing.B) {
	const tag = `"Jm0sHJgq7bM1B5o3e7l2xQmV"`
	b.ReportAllocs()
	for b.Loop() {
		if !MatchWeak(tag, tag) {
			b.Fatal("no match")
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add(`"xyzzy"`, `"xyzzy"`)
	f.Add(`W/"a", "b"`, `"b"`)
	f.Add(`*`, `"a"`)
	f.Add(`"a",,"b"`, `W/"b"`)
	f.Add(`"a`, `"a"`)
	f.Add(`W/`, `W/""`)
	f.Fuzz(func(t *testing.T, field, current string) {
		strong, weak := MatchStrong(field, current), MatchWeak(field, current)
		if strong && !weak {
			t.Errorf("%q matches %q strongly but not weakly", field, current)
		}
		if !weak {
			return
		}
		// A match means the field is "*" or lists current's opaque tag.
		opaque := strings.TrimPrefix(current, "W/")
		if strings.Trim(field, " \t") != "*" && !strings.Contains(field, opaque) {
			t.Errorf("MatchWeak(%q, %q) = true", field, current)
		}
		// And the tag, weak or strong, matches itself weakly.
		if !MatchWeak(current, current) || !MatchWeak("W/"+opaque, opaque) {
			t.Errorf("%q does not match itself", current)
		}
	})
}
