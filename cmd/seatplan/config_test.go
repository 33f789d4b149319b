package main

import (
	"crypto/ed25519"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seatplan/seatplan/store/licensing"
)

func TestConfig_ProductionRequiresASigningKey(t *testing.T) {
	t.Parallel()
	getenv := env(t, "SEATPLAN_ENV", "production", "DATABASE_URL", "postgres://db/seatplan", "SEATPLAN_SESSION_KEY", strings.Repeat("s", 32))
	_, err := parse("serve", nil, getenv, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "SEATPLAN_SIGNING_KEY") {
		t.Errorf("production without a signing key: %v", err)
	}
	key := licensing.EncodePrivateKey(licensing.GenerateKey())
	if _, err := parse("serve", []string{"-signing-key", key}, getenv, io.Discard, nil); err != nil {
		t.Errorf("production with -signing-key: %v", err)
	}
}

func TestConfig_DevelopmentKeepsItsGeneratedSigningKey(t *testing.T) {
	t.Parallel()
	cfg := &config{DataDir: t.TempDir()}
	first, err := cfg.keyring()
	if err != nil {
		t.Fatal(err)
	}
	again, err := cfg.keyring()
	if err != nil {
		t.Fatal(err)
	}
	if first.JWKS().Keys[0].KeyID != again.JWKS().Keys[0].KeyID {
		t.Error("a restart in development signs with another key")
	}
	info, err := os.Stat(filepath.Join(cfg.DataDir, "keys", "license-signing.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the kept key: %v %v, want mode 0600", info, err)
	}
}

func TestConfig_PreviousSigningKeysStayInTheJWKS(t *testing.T) {
	t.Parallel()
	old1, old2, current := licensing.GenerateKey(), licensing.GenerateKey(), licensing.GenerateKey()
	oldKeyring, err := licensing.NewKeyring(old1)
	if err != nil {
		t.Fatal(err)
	}
	signedBefore, err := oldKeyring.Sign(licensing.Claims{LicenseID: "1", IssuedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config{DataDir: t.TempDir(), SigningKey: licensing.EncodePrivateKey(current),
		PreviousSigningKeys: licensing.EncodePublicKey(old1.Public().(ed25519.PublicKey)) + " , " + licensing.EncodePublicKey(old2.Public().(ed25519.PublicKey))}
	k, err := cfg.keyring()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(k.JWKS().Keys); n != 3 {
		t.Errorf("JWKS holds %d keys, want the current one and 2 previous", n)
	}
	if _, err := licensing.Verify(signedBefore, k.JWKS()); err != nil {
		t.Errorf("a license signed before the rotation no longer verifies: %v", err)
	}
	cfg.PreviousSigningKeys = "not-a-key"
	if _, err := cfg.keyring(); err == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Errorf("a malformed previous key: %v", err)
	}
}
