package licensing

import (
	"crypto/ed25519"
	"regexp"
	"testing"
	"time"
)

// strongTag is a strong entity-tag whose opaque part is base64url.
var strongTag = regexp.MustCompile(`^"[A-Za-z0-9_-]+"$`)

func TestETag_NamesOneVersionOfOneLicenseUnderOneKey(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	at := time.Date(2025, 11, 20, 9, 30, 0, 123456000, time.UTC)
	etag := k.ETag("lic-1", at)

	if again := k.ETag("lic-1", at.In(time.FixedZone("CET", 3600))); again != etag {
		t.Errorf("the same instant in another zone gave %s, want %s", again, etag)
	}
	if !strongTag.MatchString(etag) {
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

func BenchmarkETag(b *testing.B) {
	k := testKeyring(b, 1)
	at := time.Now()
	for b.Loop() {
		k.ETag("01JD5Z6Q9M3K7T2V8W4X0Y1Z2A", at)
	}
}
