package licensing

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// FuzzParsePublicKey feeds the retired-key setting what an operator may
// type. It must never panic, and a key it accepts is an Ed25519 public key
// that reads back the same from its base64url form.
func FuzzParsePublicKey(f *testing.F) {
	pub := GenerateKey().Public().(ed25519.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		EncodePublicKey(pub),
		EncodePublicKey(pub) + "=",
		"  " + EncodePublicKey(pub) + "\n",
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n",
		"", "x", "not+base64/url",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParsePublicKey(s)
		if err != nil {
			return
		}
		if len(key) != ed25519.PublicKeySize {
			t.Fatalf("accepted %q as a key of %d bytes", s, len(key))
		}
		again, err := ParsePublicKey(EncodePublicKey(key))
		if err != nil || !again.Equal(key) {
			t.Fatalf("the key read from %q does not read back from its own encoding: %v", s, err)
		}
	})
}
