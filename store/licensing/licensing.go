// Package licensing builds and verifies the signed license documents that
// client instances hold: compact JWS (RFC 7515) signed with EdDSA over
// Ed25519 (RFC 8037), so any JOSE library can check them.
package licensing

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claims is what a license document asserts. Times are RFC 3339 strings in
// UTC with as many fractional digits as they carry (time.Time's JSON form),
// so changed_at keeps the database's precision and still names one version.
// The signed payload also carries the registered JWT claims "sub" (the
// license id), "iat" and "exp" as NumericDate so generic JWT tools read it.
type Claims struct {
	LicenseID  string    `json:"license_id"`
	PlanID     string    `json:"plan_id"`
	PlanName   string    `json:"plan"`
	Seats      int       `json:"seats"`
	Status     string    `json:"status"` // assigned | activated | revoked
	Email      string    `json:"email"`
	InstanceID string    `json:"instance_id,omitempty"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"` // zero: the plan has no expiry
	// ChangedAt is max(license changed_at, plan terms_changed_at): it
	// identifies the version of the document.
	ChangedAt time.Time `json:"changed_at"`
	IssuedAt  time.Time `json:"issued_at"`
}

// signedPayload is the JWS payload: the claims plus registered JWT claims.
type signedPayload struct {
	Claims
	Sub string `json:"sub"`
	IAT int64  `json:"iat"`
	EXP int64  `json:"exp,omitzero"`
}

// header is the JOSE header. Crit is decoded only to refuse extensions this
// package does not understand (RFC 7515 §4.1.11).
type header struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Typ  string   `json:"typ"`
	Crit []string `json:"crit,omitempty"`
}

const (
	algEdDSA = "EdDSA"
	// typLicense types the document explicitly (RFC 8725 §3.11), so another
	// JWT signed with the same key can never pass for a license.
	typLicense = "license+jwt"
	// maxJWSLength bounds the work Verify does on untrusted input; a real
	// license is well under 1 KiB.
	maxJWSLength = 16 << 10
)

var (
	// ErrInvalid is wrapped by every reason a document is refused other than
	// an unknown key.
	ErrInvalid = errors.New("invalid license document")
	// ErrUnknownKey means the document names a key id the key set lacks; a
	// client may refetch the key set once and try again.
	ErrUnknownKey = errors.New("license signed by an unknown key")
)

var b64 = base64.RawURLEncoding.Strict()

// Sign returns c as a compact JWS signed with the current key. Times are
// stored in UTC.
func (k *Keyring) Sign(c Claims) (string, error) {
	if c.LicenseID == "" || c.IssuedAt.IsZero() {
		return "", fmt.Errorf("sign license: license id and issued at are required")
	}
	c.ExpiresAt, c.ChangedAt, c.IssuedAt = c.ExpiresAt.UTC(), c.ChangedAt.UTC(), c.IssuedAt.UTC()
	p := signedPayload{Claims: c, Sub: c.LicenseID, IAT: c.IssuedAt.Unix()}
	if !c.ExpiresAt.IsZero() {
		p.EXP = c.ExpiresAt.Unix()
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("sign license %s: %w", c.LicenseID, err)
	}
	return signCompact(k.current, k.encodedHeader, payload), nil
}

// signCompact returns encodedHeader.b64(payload).b64(signature).
func signCompact(key ed25519.PrivateKey, encodedHeader string, payload []byte) string {
	signingInput := encodedHeader + "." + b64.EncodeToString(payload)
	return signingInput + "." + b64.EncodeToString(ed25519.Sign(key, []byte(signingInput)))
}

// Verify checks jws against keys and returns its claims. It accepts only
// alg EdDSA with a kid found in keys and typ license+jwt; it does not judge
// the claims (status, expiry): that is the caller's business.
func Verify(jws string, keys JWKS) (Claims, error) {
	if len(jws) > maxJWSLength {
		return Claims{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, maxJWSLength)
	}
	if strings.Count(jws, ".") != 2 {
		return Claims{}, fmt.Errorf("%w: not a compact JWS", ErrInvalid)
	}
	encodedHeader, rest, _ := strings.Cut(jws, ".")
	encodedPayload, encodedSig, _ := strings.Cut(rest, ".")

	var h header
	if err := decodeJSONSegment(encodedHeader, &h); err != nil {
		return Claims{}, fmt.Errorf("%w: header: %w", ErrInvalid, err)
	}
	switch {
	case h.Alg != algEdDSA:
		return Claims{}, fmt.Errorf("%w: alg %q is not EdDSA", ErrInvalid, h.Alg)
	case !isLicenseType(h.Typ):
		return Claims{}, fmt.Errorf("%w: typ %q is not %s", ErrInvalid, h.Typ, typLicense)
	case len(h.Crit) > 0:
		return Claims{}, fmt.Errorf("%w: critical header parameters %q", ErrInvalid, h.Crit)
	}
	pub, err := keys.publicKey(h.Kid)
	if err != nil {
		return Claims{}, err
	}
	sig, err := b64.DecodeString(encodedSig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Claims{}, fmt.Errorf("%w: malformed signature", ErrInvalid)
	}
	if !ed25519.Verify(pub, []byte(jws[:len(encodedHeader)+1+len(encodedPayload)]), sig) {
		return Claims{}, fmt.Errorf("%w: bad signature", ErrInvalid)
	}

	var c Claims
	if err := decodeJSONSegment(encodedPayload, &c); err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %w", ErrInvalid, err)
	}
	return c, nil
}

// isLicenseType accepts typ as RFC 7515 §4.1.9 allows: case-insensitive,
// with or without the "application/" prefix.
func isLicenseType(typ string) bool {
	typ = strings.ToLower(typ)
	return strings.TrimPrefix(typ, "application/") == typLicense
}

func decodeJSONSegment(segment string, v any) error {
	raw, err := b64.DecodeString(segment)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
