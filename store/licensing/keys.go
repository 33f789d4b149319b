package licensing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Keyring signs with one current key and keeps the public halves of earlier
// keys, so documents signed before a rotation still verify against JWKS.
type Keyring struct {
	current       ed25519.PrivateKey
	currentKID    string
	encodedHeader string // base64url JOSE header naming the current key
	jwks          JWKS   // current key first
}

// JWK is an Ed25519 public key as a JSON Web Key (RFC 8037 §2).
type JWK struct {
	KeyType   string `json:"kty"` // OKP
	Curve     string `json:"crv"` // Ed25519
	X         string `json:"x"`   // the raw 32-byte public key, base64url
	KeyID     string `json:"kid"`
	Use       string `json:"use,omitempty"`
	Algorithm string `json:"alg,omitempty"`
}

// JWKS is a JSON Web Key Set (RFC 7517 §5), as GET /api/v1/license-signing-key serves it.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// NewKeyring returns a Keyring that signs with current and also publishes
// previous, the public keys of retired signing keys.
func NewKeyring(current ed25519.PrivateKey, previous ...ed25519.PublicKey) (*Keyring, error) {
	if len(current) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("license signing key: want %d bytes, got %d", ed25519.PrivateKeySize, len(current))
	}
	currentPub := current.Public().(ed25519.PublicKey)
	k := &Keyring{current: current, jwks: JWKS{Keys: []JWK{publicJWK(currentPub)}}}
	k.currentKID = k.jwks.Keys[0].KeyID
	for i, pub := range previous {
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("previous license signing key %d: want %d bytes, got %d", i, ed25519.PublicKeySize, len(pub))
		}
		jwk := publicJWK(pub)
		if !slices.ContainsFunc(k.jwks.Keys, func(have JWK) bool { return have.KeyID == jwk.KeyID }) {
			k.jwks.Keys = append(k.jwks.Keys, jwk)
		}
	}
	h, err := json.Marshal(header{Alg: algEdDSA, Kid: k.currentKID, Typ: typLicense})
	if err != nil {
		return nil, fmt.Errorf("license header: %w", err)
	}
	k.encodedHeader = b64.EncodeToString(h)
	return k, nil
}

// JWKS returns the public keys documents may be verified with, current first.
func (k *Keyring) JWKS() JWKS {
	return JWKS{Keys: slices.Clone(k.jwks.Keys)}
}

func publicJWK(pub ed25519.PublicKey) JWK {
	x := b64.EncodeToString(pub)
	return JWK{KeyType: "OKP", Curve: "Ed25519", X: x, KeyID: thumbprint(x), Use: "sig", Algorithm: algEdDSA}
}

// thumbprint is the RFC 7638 JWK thumbprint of an Ed25519 key: SHA-256 over
// its required members in lexicographic order (RFC 8037 §A.3). x is
// base64url, so it needs no JSON escaping.
func thumbprint(x string) string {
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
	return b64.EncodeToString(sum[:])
}

// publicKey returns the Ed25519 key named kid.
func (s JWKS) publicKey(kid string) (ed25519.PublicKey, error) {
	i := slices.IndexFunc(s.Keys, func(k JWK) bool { return k.KeyID == kid })
	if kid == "" || i < 0 {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	k := s.Keys[i]
	if k.KeyType != "OKP" || k.Curve != "Ed25519" ||
		(k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != algEdDSA) {
		return nil, fmt.Errorf("%w: key %q is not an Ed25519 signing key", ErrInvalid, kid)
	}
	pub, err := b64.DecodeString(k.X)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: key %q has a malformed x", ErrInvalid, kid)
	}
	return pub, nil
}

// GenerateKey returns a new random signing key.
func GenerateKey() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed) // never fails: crypto/rand crashes the program instead
	return ed25519.NewKeyFromSeed(seed)
}

// EncodePrivateKey returns key's 32-byte seed in base64url, the form
// ParsePrivateKey reads from configuration.
func EncodePrivateKey(key ed25519.PrivateKey) string {
	return b64.EncodeToString(key.Seed())
}

// ParsePrivateKey reads a signing key from configuration: a base64url
// 32-byte seed (as EncodePrivateKey writes it) or a PEM "PRIVATE KEY"
// (PKCS #8, as `openssl genpkey -algorithm ed25519` writes it).
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		der, err := pemBlock(s, "PRIVATE KEY")
		if err != nil {
			return nil, err
		}
		key, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("license signing key: %w", err)
		}
		ed, ok := key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("license signing key: %T is not an Ed25519 key", key)
		}
		return ed, nil
	}
	seed, err := decodeKeyBytes(s, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("license signing key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// EncodePublicKey returns key in base64url, the form of a JWK's x and of
// ParsePublicKey's input.
func EncodePublicKey(key ed25519.PublicKey) string {
	return b64.EncodeToString(key)
}

// ParsePublicKey reads a retired key from configuration: base64url of the
// 32 raw bytes (a JWK's x) or a PEM "PUBLIC KEY" (PKIX).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		der, err := pemBlock(s, "PUBLIC KEY")
		if err != nil {
			return nil, err
		}
		key, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return nil, fmt.Errorf("license public key: %w", err)
		}
		ed, ok := key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("license public key: %T is not an Ed25519 key", key)
		}
		return ed, nil
	}
	raw, err := decodeKeyBytes(s, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("license public key: %w", err)
	}
	return raw, nil
}

func pemBlock(s, wantType string) ([]byte, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != wantType || strings.TrimSpace(string(rest)) != "" {
		return nil, fmt.Errorf("license key: want exactly one PEM %q block", wantType)
	}
	return block.Bytes, nil
}

// decodeKeyBytes decodes base64url, tolerating the padding some tools add.
func decodeKeyBytes(s string, size int) ([]byte, error) {
	raw, err := b64.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, errors.New("not base64url")
	}
	if len(raw) != size {
		return nil, fmt.Errorf("want %d bytes, got %d", size, len(raw))
	}
	return raw, nil
}
