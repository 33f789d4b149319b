package licensing

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"
)

func TestETag_NamesOneVersionOfOneLicenseUnderOneKey(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	at := time.Date(2025, 11, 20, 9, 30, 0, 123456000, time.UTC)
	etag := k.ETag("lic-1", at)

	if again := k.ETag("lic-1", at.In(time.FixedZone("CET", 3600))); again != etag {
		t.Errorf("the same instant in another zone gave %s, want %s", again, etag)
	}
	if opaque, rest, ok := cutEntityTag(etag); !ok || rest != "" || strings.HasPrefix(etag, "W/") || opaque != etag {
		t.Errorf("ETag %s is not a strong entity-tag", etag)
	}
	rotated := testKeyring(t, 2, testKey(1).Public().(ed25519.PublicKey))
	others := map[string]string{
		"OtherLicense":   k.ETag("lic-2", at),
		"OneMicroLater":  k.ETag("lic-1", at.Add(time.Microsecond)),
		"AfterRotation":  rotated.ETag("lic-1", at),
		"IDBoundaryMove": k.ETag("lic-1\x00", at),
	}
	for name, other := range others {
		if other == etag {
			t.Errorf("%s: same ETag %s", name, etag)
		}
	}
}

func TestMatchesETag(t *testing.T) {
	t.Parallel()
	const etag = `"xyzzy"`
	tests := []struct {
		ifNoneMatch string
		etag        string
		want        bool
	}{
		{`"xyzzy"`, etag, true},
		{`W/"xyzzy"`, etag, true},
		{`"xyzzy"`, `W/"xyzzy"`, true},
		{`"r2d2xxxx", "c3piozzzz", "xyzzy"`, etag, true},
		{`"xyzzy","other"`, etag, true},
		{` , "a",, W/"xyzzy" ,`, etag, true},
		{"*", etag, true},
		{" * ", etag, true},
		{`"xyzzy2"`, etag, false},
		{`"XYZZY"`, etag, false},
		{`xyzzy`, etag, false},
		{`"xyzzy`, etag, false},
		{`w/"xyzzy"`, etag, false},
		{`W/ "xyzzy"`, etag, false},
		{`"xyzzy" "other"`, etag, false},
		{`"xyzzy", garbage`, etag, false},
		{`*, "xyzzy"`, etag, false},
		{`"xy zzy"`, `"xy zzy"`, false},
		{`"xyzzy"`, `xyzzy`, false},
		{`""`, `""`, true},
		{"", etag, false},
		{"  ", etag, false},
		{`"é"`, `"é"`, true},
	}
	for _, tt := range tests {
		if got := MatchesETag(tt.ifNoneMatch, tt.etag); got != tt.want {
			t.Errorf("MatchesETag(%q, %q) = %v, want %v", tt.ifNoneMatch, tt.etag, got, tt.want)
		}
	}
}

func BenchmarkETag(b *testing.B) {
	k := testKeyring(b, 1)
	at := time.Now()
	for b.Loop() {
		k.ETag("01JD5Z6Q9M3K7T2V8W4X0Y1Z2A", at)
	}
}

func BenchmarkMatchesETag(b *testing.B) {
	k := testKeyring(b, 1)
	etag := k.ETag("01JD5Z6Q9M3K7T2V8W4X0Y1Z2A", time.Now())
	for b.Loop() {
		if !MatchesETag(etag, etag) {
			b.Fatal("no match")
		}
	}
}

func FuzzMatchesETag(f *testing.F) {
	f.Add(`"xyzzy"`, `"xyzzy"`)
	f.Add(`W/"a", "b"`, `"b"`)
	f.Add(`*`, `"a"`)
	f.Add(`"a",,"b"`, `W/"b"`)
	f.Add(`"a`, `"a"`)
	f.Add(`W/`, `W/""`)
	f.Fuzz(func(t *testing.T, ifNoneMatch, etag string) {
		if !MatchesETag(ifNoneMatch, etag) {
			return
		}
		// A match means the header is "*" or lists etag's opaque tag.
		opaque := strings.TrimPrefix(etag, "W/")
		if strings.Trim(ifNoneMatch, " \t") != "*" && !strings.Contains(ifNoneMatch, opaque) {
			t.Errorf("MatchesETag(%q, %q) = true", ifNoneMatch, etag)
		}
		// And the etag, weak or strong, matches itself.
		if !MatchesETag(etag, etag) || !MatchesETag("W/"+opaque, opaque) {
			t.Errorf("%q does not match itself", etag)
		}
	})
}
