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
	cfg, err := parse("serve", nil, getenv, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.requireServeKeys(); err == nil || !strings.Contains(err.Error(), "SEATPLAN_SIGNING_KEY") || strings.Contains(err.Error(), "SEATPLAN_SESSION_KEY") {
		t.Errorf("production without a signing key: %v, want only SEATPLAN_SIGNING_KEY named", err)
	}
	key := licensing.EncodePrivateKey(licensing.GenerateKey())
	cfg, err = parse("serve", []string{"-signing-key", key}, getenv, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.requireServeKeys(); err != nil {
		t.Errorf("production with -signing-key: %v", err)
	}
}

func TestConfig_Environment(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		env     []string
		wantErr []string // substrings of the error; none: no error
		check   func(*config) bool
	}{
		"duration without a unit": {env: []string{"SEATPLAN_LEASE_TTL", "30"}, wantErr: []string{"SEATPLAN_LEASE_TTL", `"30"`}},
		"duration not a number":   {env: []string{"SEATPLAN_TOKEN_TTL", "soon"}, wantErr: []string{"SEATPLAN_TOKEN_TTL", `"soon"`}},
		"duration with a unit":    {env: []string{"SEATPLAN_LEASE_TTL", "45s"}, check: func(c *config) bool { return c.LeaseTTL == 45*time.Second }},
		"lease of no time":        {env: []string{"SEATPLAN_LEASE_TTL", "0s"}, wantErr: []string{"-lease-ttl", "positive"}},
		"int with a suffix":       {env: []string{"SEATPLAN_MAX_UPLOAD_BYTES", "16MB"}, wantErr: []string{"SEATPLAN_MAX_UPLOAD_BYTES", `"16MB"`}},
		"int in float notation":   {env: []string{"SEATPLAN_MAX_LIST_ENTRIES", "1e5"}, wantErr: []string{"SEATPLAN_MAX_LIST_ENTRIES", `"1e5"`}},
		"int":                     {env: []string{"SEATPLAN_MAX_LIST_ENTRIES", "500"}, check: func(c *config) bool { return c.MaxListEntries == 500 }},
		"two bad variables":       {env: []string{"SEATPLAN_LEASE_TTL", "30", "SEATPLAN_MAX_LIST_ENTRIES", "many"}, wantErr: []string{"SEATPLAN_LEASE_TTL", "SEATPLAN_MAX_LIST_ENTRIES"}},
		"demo unset":              {check: func(c *config) bool { return c.Demo }},
		"demo 0":                  {env: []string{"SEATPLAN_DEMO", "0"}, check: func(c *config) bool { return !c.Demo }},
		"demo FALSE":              {env: []string{"SEATPLAN_DEMO", "FALSE"}, check: func(c *config) bool { return !c.Demo }},
		"demo 1":                  {env: []string{"SEATPLAN_DEMO", "1"}, check: func(c *config) bool { return c.Demo }},
		"demo maybe":              {env: []string{"SEATPLAN_DEMO", "maybe"}, wantErr: []string{"SEATPLAN_DEMO", `"maybe"`}},
		"metrics token":           {env: []string{"SEATPLAN_METRICS_TOKEN", "s3cret"}, check: func(c *config) bool { return c.MetricsToken == "s3cret" }},
	} {
		cfg, err := parse("serve", nil, env(t, tc.env...), io.Discard, nil)
		if len(tc.wantErr) == 0 {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			} else if !tc.check(cfg) {
				t.Errorf("%s: config %+v", name, cfg)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, want := range tc.wantErr {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not name %s", name, err, want)
			}
		}
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
