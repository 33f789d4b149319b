package licensing

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"testing"
)

func pemEncode(t *testing.T, blockType string, der []byte, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}))
}

func TestParsePrivateKey_ReadsEveryConfiguredForm(t *testing.T) {
	t.Parallel()
	key := testKey(7)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	forms := map[string]string{
		"Base64url":           EncodePrivateKey(key),
		"PaddedWithNewline":   base64.URLEncoding.EncodeToString(key.Seed()) + "\n",
		"PEMPKCS8":            pemEncode(t, "PRIVATE KEY", pkcs8, err),
		"PEMWithSurroundings": "\n  " + pemEncode(t, "PRIVATE KEY", pkcs8, err) + "\n",
	}
	for name, s := range forms {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePrivateKey(s)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(key) {
				t.Error("parsed a different key")
			}
		})
	}
}

func TestParsePrivateKey_RefusesOtherInput(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	seed := EncodePrivateKey(testKey(7))
	inputs := map[string]string{
		"Empty":          "",
		"StandardBase64": base64.StdEncoding.EncodeToString(append([]byte{0xfb, 0xff}, make([]byte, 30)...)),
		"ShortSeed":      seed[:20],
		"FullPrivateKey": b64.EncodeToString(testKey(7)),
		"ECDSAKey":       pemEncode(t, "PRIVATE KEY", ecDER, err),
		"WrongPEMType":   pemEncode(t, "PUBLIC KEY", []byte{1, 2, 3}, nil),
		"TwoPEMBlocks":   pemEncode(t, "PRIVATE KEY", ecDER, err) + pemEncode(t, "PRIVATE KEY", ecDER, err),
		"BrokenPEM":      "-----BEGIN PRIVATE KEY-----\nnot base64\n",
	}
	for name, s := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParsePrivateKey(s); err == nil {
				t.Errorf("ParsePrivateKey(%q) succeeded", s)
			}
		})
	}
}

func TestParsePublicKey_ReadsJWKXAndPEM(t *testing.T) {
	t.Parallel()
	pub := testKey(7).Public().(ed25519.PublicKey)
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	for name, s := range map[string]string{
		"JWKX":    EncodePublicKey(pub),
		"PEMPKIX": pemEncode(t, "PUBLIC KEY", pkix, err),
	} {
		got, err := ParsePublicKey(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Equal(pub) {
			t.Errorf("%s: parsed a different key", name)
		}
	}
	for _, s := range []string{"", EncodePublicKey(pub)[:10], EncodePrivateKey(testKey(7)) + "AAAA", "-----BEGIN PUBLIC KEY-----"} {
		if _, err := ParsePublicKey(s); err == nil {
			t.Errorf("ParsePublicKey(%q) succeeded", s)
		}
	}
}

func TestGenerateKey_GivesDistinctUsableKeys(t *testing.T) {
	t.Parallel()
	a, b := GenerateKey(), GenerateKey()
	if a.Equal(b) {
		t.Fatal("two generated keys are equal")
	}
	k, err := NewKeyring(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(mustSign(t, k, testClaims()), k.JWKS()); err != nil {
		t.Fatal(err)
	}
}

func FuzzParsePrivateKey(f *testing.F) {
	pkcs8, err := x509.MarshalPKCS8PrivateKey(testKey(7))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(EncodePrivateKey(testKey(7)))
	f.Add(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})))
	f.Add("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n")
	f.Add("====")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParsePrivateKey(s)
		if err != nil {
			return
		}
		// Whatever form was read, the canonical form reads back to the same key.
		again, err := ParsePrivateKey(EncodePrivateKey(key))
		if err != nil || !again.Equal(key) {
			t.Errorf("%q: canonical form does not round-trip: %v", s, err)
		}
	})
}
