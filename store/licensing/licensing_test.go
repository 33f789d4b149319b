package licensing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// testKey returns a deterministic key, distinct for each b.
func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func testKeyring(t testing.TB, b byte, previous ...ed25519.PublicKey) *Keyring {
	t.Helper()
	k, err := NewKeyring(testKey(b), previous...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testClaims() Claims {
	berlin := time.FixedZone("CET", 3600)
	return Claims{
		LicenseID:  "01JD5Z6Q9M3K7T2V8W4X0Y1Z2A",
		PlanID:     "01JD5Z6Q9M3K7T2V8W4X0Y1Z2B",
		PlanName:   "Campus 2025",
		Seats:      250,
		Status:     "activated",
		Email:      "ada@example.edu",
		InstanceID: "lms-eu-1",
		ExpiresAt:  time.Date(2026, 8, 31, 23, 59, 59, 0, berlin),
		ChangedAt:  time.Date(2025, 11, 20, 9, 30, 0, 123456000, berlin),
		IssuedAt:   time.Date(2025, 11, 23, 8, 0, 0, 0, time.UTC),
	}
}

func mustSign(t testing.TB, k *Keyring, c Claims) string {
	t.Helper()
	jws, err := k.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

func decodeSegment(t *testing.T, segment string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := decodeJSONSegment(segment, &m); err != nil {
		t.Fatalf("segment %q: %v", segment, err)
	}
	return m
}

func TestSign_VerifyReturnsTheClaimsInUTC(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	c := testClaims()

	got, err := Verify(mustSign(t, k, c), k.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	want := c
	want.ExpiresAt, want.ChangedAt, want.IssuedAt = c.ExpiresAt.UTC(), c.ChangedAt.UTC(), c.IssuedAt.UTC()
	if got != want {
		t.Errorf("Verify = %+v, want %+v", got, want)
	}
}

func TestSign_DocumentCarriesHeaderAndRegisteredClaims(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	c := testClaims()
	segments := strings.Split(mustSign(t, k, c), ".")

	h := decodeSegment(t, segments[0])
	if h["alg"] != "EdDSA" || h["typ"] != "license+jwt" || h["kid"] != k.JWKS().Keys[0].KeyID {
		t.Errorf("header = %v", h)
	}
	p := decodeSegment(t, segments[1])
	wantNumbers := map[string]float64{"iat": float64(c.IssuedAt.Unix()), "exp": float64(c.ExpiresAt.Unix()), "seats": 250}
	for name, want := range wantNumbers {
		if p[name] != want {
			t.Errorf("payload %s = %v, want %v", name, p[name], want)
		}
	}
	wantStrings := map[string]string{
		"sub": c.LicenseID, "license_id": c.LicenseID, "plan": "Campus 2025", "status": "activated",
		"changed_at": "2025-11-20T08:30:00.123456Z", "expires_at": "2026-08-31T22:59:59Z",
	}
	for name, want := range wantStrings {
		if p[name] != want {
			t.Errorf("payload %s = %v, want %q", name, p[name], want)
		}
	}
}

func TestSign_NoExpiryLeavesExpOut(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	c := testClaims()
	c.ExpiresAt = time.Time{}

	p := decodeSegment(t, strings.Split(mustSign(t, k, c), ".")[1])
	for _, name := range []string{"exp", "expires_at"} {
		if v, ok := p[name]; ok {
			t.Errorf("payload has %s = %v for a license without expiry", name, v)
		}
	}
}

func TestSign_RefusesClaimsWithoutIdentity(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	noID, noIssued := testClaims(), testClaims()
	noID.LicenseID = ""
	noIssued.IssuedAt = time.Time{}
	for _, c := range []Claims{noID, noIssued} {
		if _, err := k.Sign(c); err == nil {
			t.Errorf("Sign(%+v) succeeded", c)
		}
	}
}

// The vectors of RFC 8037 Appendix A show that any JOSE library computes the
// same kid and accepts the same signatures.
func TestRFC8037Vectors(t *testing.T) {
	t.Parallel()
	seed, err := b64.DecodeString("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	jwk := publicJWK(key.Public().(ed25519.PublicKey))
	if jwk.X != "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" {
		t.Errorf("x = %s", jwk.X)
	}
	if jwk.KeyID != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Errorf("kid (RFC 7638 thumbprint) = %s", jwk.KeyID)
	}
	got := signCompact(key, b64.EncodeToString([]byte(`{"alg":"EdDSA"}`)), []byte("Example of Ed25519 signing"))
	const want = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc." +
		"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
	if got != want {
		t.Errorf("JWS = %s\nwant  %s", got, want)
	}
}

func TestVerify_RefusesAlteredOrForeignDocuments(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	good := mustSign(t, k, testClaims())
	parts := strings.Split(good, ".")
	kid := k.JWKS().Keys[0].KeyID
	encodeJSON := func(v any) string {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b64.EncodeToString(raw)
	}
	// hs256 forges the classic key-confusion token: HMAC keyed with the
	// public key, which an attacker knows.
	hs256 := func() string {
		input := encodeJSON(map[string]string{"alg": "HS256", "kid": kid, "typ": "license+jwt"}) + "." + parts[1]
		mac := hmac.New(sha256.New, []byte(k.JWKS().Keys[0].X))
		mac.Write([]byte(input))
		return input + "." + b64.EncodeToString(mac.Sum(nil))
	}
	flipped := []byte(parts[2])
	flipped[3] ^= 'A' ^ 'B'
	richer := testClaims()
	richer.Seats = 100000

	// reason is part of the error message, so each case proves the check it names.
	tests := []struct {
		name   string
		jws    string
		want   error
		reason string
	}{
		{"PayloadSwapped", parts[0] + "." + strings.Split(mustSign(t, k, richer), ".")[1] + "." + parts[2], ErrInvalid, "bad signature"},
		{"HeaderChanged", encodeJSON(map[string]string{"alg": "EdDSA", "kid": kid, "typ": "license+jwt", "x5u": "https://evil.example"}) + "." + parts[1] + "." + parts[2], ErrInvalid, "bad signature"},
		{"SignedJWTOfAnotherType", signCompact(k.current, encodeJSON(map[string]string{"alg": "EdDSA", "kid": kid, "typ": "JWT"}), mustDecode(t, parts[1])), ErrInvalid, "typ"},
		{"SignatureChanged", parts[0] + "." + parts[1] + "." + string(flipped), ErrInvalid, "bad signature"},
		{"SignatureMissing", parts[0] + "." + parts[1] + ".", ErrInvalid, "malformed signature"},
		{"SignatureTruncated", parts[0] + "." + parts[1] + "." + parts[2][:40], ErrInvalid, "malformed signature"},
		{"AlgNone", encodeJSON(map[string]string{"alg": "none", "kid": kid, "typ": "license+jwt"}) + "." + parts[1] + ".", ErrInvalid, "alg"},
		{"AlgHS256", hs256(), ErrInvalid, "alg"},
		{"CriticalExtension", encodeJSON(map[string]any{"alg": "EdDSA", "kid": kid, "typ": "license+jwt", "crit": []string{"b64"}, "b64": false}) + "." + parts[1] + "." + parts[2], ErrInvalid, "critical"},
		{"PaddedBase64", good + "==", ErrInvalid, "malformed signature"},
		{"ExtraSegment", good + ".e30", ErrInvalid, "not a compact JWS"},
		{"TwoSegments", parts[0] + "." + parts[1], ErrInvalid, "not a compact JWS"},
		{"Empty", "", ErrInvalid, "not a compact JWS"},
		{"HeaderNotJSON", b64.EncodeToString([]byte("EdDSA")) + "." + parts[1] + "." + parts[2], ErrInvalid, "header"},
		{"Oversized", parts[0] + "." + strings.Repeat("A", maxJWSLength) + "." + parts[2], ErrInvalid, "longer than"},
		{"UnknownKey", mustSign(t, testKeyring(t, 2), testClaims()), ErrUnknownKey, "kid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Verify(tt.jws, k.JWKS())
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Verify = %v, want %v for %s", err, tt.want, tt.reason)
			}
		})
	}
}

func TestVerify_AcceptsMediaTypeFormOfTyp(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	parts := strings.Split(mustSign(t, k, testClaims()), ".")
	raw, _ := json.Marshal(header{Alg: "EdDSA", Kid: k.currentKID, Typ: "application/License+JWT"})
	jws := signCompact(k.current, b64.EncodeToString(raw), mustDecode(t, parts[1]))
	if _, err := Verify(jws, k.JWKS()); err != nil {
		t.Fatal(err)
	}
}

func mustDecode(t *testing.T, segment string) []byte {
	t.Helper()
	raw, err := b64.DecodeString(segment)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestVerify_RefusesKeysThatAreNotEd25519SigningKeys(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	jws := mustSign(t, k, testClaims())
	tests := map[string]func(*JWK){
		"WrongKeyType":   func(j *JWK) { j.KeyType = "EC" },
		"WrongCurve":     func(j *JWK) { j.Curve = "X25519" },
		"EncryptionUse":  func(j *JWK) { j.Use = "enc" },
		"OtherAlgorithm": func(j *JWK) { j.Algorithm = "ES256" },
		"ShortX":         func(j *JWK) { j.X = j.X[:20] },
	}
	for name, spoil := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			keys := k.JWKS()
			spoil(&keys.Keys[0])
			if _, err := Verify(jws, keys); !errors.Is(err, ErrInvalid) {
				t.Errorf("Verify = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestKeyring_RotationKeepsOldDocumentsVerifiable(t *testing.T) {
	t.Parallel()
	before := testKeyring(t, 1)
	oldJWS := mustSign(t, before, testClaims())
	after := testKeyring(t, 2, testKey(1).Public().(ed25519.PublicKey))
	newJWS := mustSign(t, after, testClaims())

	for name, jws := range map[string]string{"SignedBeforeRotation": oldJWS, "SignedAfterRotation": newJWS} {
		if _, err := Verify(jws, after.JWKS()); err != nil {
			t.Errorf("%s: Verify with the rotated key set: %v", name, err)
		}
	}
	if _, err := Verify(newJWS, before.JWKS()); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify new document with the old key set = %v, want ErrUnknownKey", err)
	}
	if keys := after.JWKS().Keys; len(keys) != 2 || keys[0].KeyID != after.currentKID {
		t.Errorf("JWKS after rotation = %+v, want the current key first, then the retired one", keys)
	}
}

func TestKeyring_RetiredCopyOfCurrentKeyIsListedOnce(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1, testKey(1).Public().(ed25519.PublicKey))
	if n := len(k.JWKS().Keys); n != 1 {
		t.Errorf("JWKS has %d keys, want 1", n)
	}
}

func TestNewKeyring_RefusesMalformedKeys(t *testing.T) {
	t.Parallel()
	if _, err := NewKeyring(testKey(1)[:10]); err == nil {
		t.Error("NewKeyring accepted a short private key")
	}
	if _, err := NewKeyring(testKey(1), ed25519.PublicKey{1, 2, 3}); err == nil {
		t.Error("NewKeyring accepted a short previous key")
	}
}

func TestJWKS_PublishesTheRawPublicKey(t *testing.T) {
	t.Parallel()
	key := testKey(1)
	k := testKeyring(t, 1)
	raw, err := json.Marshal(k.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS = %s", raw)
	}
	got := set.Keys[0]
	if got["kty"] != "OKP" || got["crv"] != "Ed25519" || got["use"] != "sig" || got["alg"] != "EdDSA" || got["kid"] == "" {
		t.Errorf("JWK = %v", got)
	}
	if x := mustDecode(t, got["x"]); !bytes.Equal(x, key.Public().(ed25519.PublicKey)) {
		t.Errorf("x decodes to %x, want the public key", x)
	}
	if _, ok := got["d"]; ok {
		t.Error("JWKS leaks the private key")
	}
}

func TestJWKS_IsACopy(t *testing.T) {
	t.Parallel()
	k := testKeyring(t, 1)
	k.JWKS().Keys[0].X = "spoiled"
	if _, err := Verify(mustSign(t, k, testClaims()), k.JWKS()); err != nil {
		t.Errorf("changing a returned key set changed the keyring: %v", err)
	}
}

func BenchmarkSign(b *testing.B) {
	k := testKeyring(b, 1)
	c := testClaims()
	for b.Loop() {
		if _, err := k.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	k := testKeyring(b, 1)
	jws, keys := mustSign(b, k, testClaims()), k.JWKS()
	for b.Loop() {
		if _, err := Verify(jws, keys); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	k := testKeyring(f, 1)
	good := mustSign(f, k, testClaims())
	parts := strings.Split(good, ".")
	f.Add(good)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("..")
	f.Add("")
	f.Add(strings.ReplaceAll(good, "-", "+"))
	keys := k.JWKS()
	f.Fuzz(func(t *testing.T, jws string) {
		_, err := Verify(jws, keys)
		// Base64url decoding is strict and Ed25519 signatures are not
		// malleable, so the only document that verifies is the signed one.
		if err == nil && jws != good {
			t.Errorf("Verify accepted %q", jws)
		}
	})
}
