package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/hkdf"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/licensing"
	"github.com/seatplan/seatplan/web"
)

// config is everything that can be set by flag or environment variable; a
// flag wins over the environment.
type config struct {
	Env            string // development or production
	Addr           string
	DatabaseURL    string
	DataDir        string
	SessionKey     string
	TokenTTL       time.Duration
	LeaseTTL       time.Duration
	MaxUploadBytes int64
	MaxListEntries int
	LogLevel       string
	Demo           bool
	MetricsToken   string

	// Sign-in throttling and the edge: see store.SignInThrottle.
	SignIn         store.SignInThrottle
	TrustedProxies string
	HSTSMaxAge     time.Duration

	// SigningKey signs license documents; PreviousSigningKeys are the
	// public halves of retired ones, still published for verification.
	SigningKey          string
	PreviousSigningKeys string

	envErrs []error // malformed environment variables, reported by validate
}

func (c *config) production() bool { return c.Env == "production" }

// bindConfig registers the shared flags on fs with defaults from getenv.
func bindConfig(fs *flag.FlagSet, getenv func(string) string) *config {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := &config{}
	// A malformed variable is an error, as a malformed flag is, rather than
	// quietly the default: SEATPLAN_LEASE_TTL=30 is not 30 seconds.
	intEnv := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q is not a whole number", name, v))
			return def
		}
		return n
	}
	durationEnv := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q is not a duration with a unit, such as 90s or 5m", name, v))
			return def
		}
		return d
	}
	boolEnv := func(name string, def bool) bool {
		v := getenv(name)
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q is not true or false", name, v))
			return def
		}
		return b
	}
	fs.StringVar(&c.Env, "env", env("SEATPLAN_ENV", "development"), "development or production (env SEATPLAN_ENV)")
	fs.StringVar(&c.Addr, "addr", env("SEATPLAN_ADDR", "127.0.0.1:8080"), "listen address (env SEATPLAN_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", ""), "PostgreSQL URL; empty starts an embedded cluster under the data dir (env DATABASE_URL)")
	fs.StringVar(&c.DataDir, "data-dir", env("SEATPLAN_DATA_DIR", ".data"), "where development keys and the embedded PostgreSQL live (env SEATPLAN_DATA_DIR)")
	fs.StringVar(&c.SessionKey, "session-key", env("SEATPLAN_SESSION_KEY", ""), "secret of at least 32 bytes for session cookies; generated in development (env SEATPLAN_SESSION_KEY)")
	fs.StringVar(&c.SigningKey, "signing-key", env("SEATPLAN_SIGNING_KEY", ""), "Ed25519 license signing key: base64url seed or PKCS #8 PEM; generated in development (env SEATPLAN_SIGNING_KEY)")
	fs.StringVar(&c.PreviousSigningKeys, "previous-signing-keys", env("SEATPLAN_PREVIOUS_SIGNING_KEYS", ""), "comma-separated public keys of retired license signing keys, kept in the JWKS (env SEATPLAN_PREVIOUS_SIGNING_KEYS)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", durationEnv("SEATPLAN_TOKEN_TTL", time.Hour), "lifetime of OAuth access tokens (env SEATPLAN_TOKEN_TTL)")
	fs.DurationVar(&c.LeaseTTL, "lease-ttl", durationEnv("SEATPLAN_LEASE_TTL", handlers.LeaseTTL), "how long a plan or course lock outlives a crashed holder; jobs heartbeat every third of it (env SEATPLAN_LEASE_TTL)")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", int64(intEnv("SEATPLAN_MAX_UPLOAD_BYTES", handlers.MaxUpload)), "largest accepted upload or list body, in bytes (env SEATPLAN_MAX_UPLOAD_BYTES)")
	fs.IntVar(&c.MaxListEntries, "max-list-entries", intEnv("SEATPLAN_MAX_LIST_ENTRIES", 200_000), "most entries in one email or enrollment list (env SEATPLAN_MAX_LIST_ENTRIES)")
	fs.StringVar(&c.LogLevel, "log-level", env("SEATPLAN_LOG_LEVEL", "info"), "debug, info, warn or error (env SEATPLAN_LOG_LEVEL)")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("SEATPLAN_METRICS_TOKEN", ""), "bearer token that lets clients other than loopback scrape /metrics (env SEATPLAN_METRICS_TOKEN)")
	def := store.DefaultSignInThrottle()
	fs.IntVar(&c.SignIn.AccountAttempts, "sign-in-attempts", intEnv("SEATPLAN_SIGN_IN_ATTEMPTS", def.AccountAttempts), "password checks per account within 15 minutes before back-off starts (env SEATPLAN_SIGN_IN_ATTEMPTS)")
	fs.IntVar(&c.SignIn.AddressAttempts, "sign-in-address-attempts", intEnv("SEATPLAN_SIGN_IN_ADDRESS_ATTEMPTS", def.AddressAttempts), "password checks per client address within 15 minutes before back-off starts (env SEATPLAN_SIGN_IN_ADDRESS_ATTEMPTS)")
	fs.DurationVar(&c.SignIn.Backoff, "sign-in-backoff", durationEnv("SEATPLAN_SIGN_IN_BACKOFF", def.Backoff), "first wait once the free attempts are used; doubles each time (env SEATPLAN_SIGN_IN_BACKOFF)")
	fs.DurationVar(&c.SignIn.MaxBackoff, "sign-in-max-backoff", durationEnv("SEATPLAN_SIGN_IN_MAX_BACKOFF", def.MaxBackoff), "longest wait between password checks for one account or address (env SEATPLAN_SIGN_IN_MAX_BACKOFF)")
	fs.IntVar(&c.SignIn.PasswordChecks, "password-checks", intEnv("SEATPLAN_PASSWORD_CHECKS", def.PasswordChecks), "password hash comparisons run at once for sign-in and password change (env SEATPLAN_PASSWORD_CHECKS)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("SEATPLAN_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For is believed; empty believes none (env SEATPLAN_TRUSTED_PROXIES)")
	fs.DurationVar(&c.HSTSMaxAge, "hsts-max-age", durationEnv("SEATPLAN_HSTS_MAX_AGE", 365*24*time.Hour), "Strict-Transport-Security max-age sent in production; 0 sends none (env SEATPLAN_HSTS_MAX_AGE)")
	fs.BoolVar(&c.Demo, "demo", boolEnv("SEATPLAN_DEMO", true), "load demo data into an empty database (development only; env SEATPLAN_DEMO=false to skip)")
	return c
}

func (c *config) validate() error {
	if err := errors.Join(c.envErrs...); err != nil {
		return err
	}
	switch c.Env {
	case "development", "production":
	default:
		return fmt.Errorf("-env must be development or production, not %q", c.Env)
	}
	if c.production() && c.DatabaseURL == "" {
		return errors.New("production mode requires DATABASE_URL")
	}
	if c.LeaseTTL <= 0 {
		return fmt.Errorf("-lease-ttl must be a positive duration, not %s", c.LeaseTTL)
	}
	if c.SignIn.AccountAttempts < 1 || c.SignIn.AddressAttempts < 1 || c.SignIn.PasswordChecks < 1 {
		return errors.New("-sign-in-attempts, -sign-in-address-attempts and -password-checks must be at least 1")
	}
	if c.SignIn.Backoff <= 0 || c.SignIn.MaxBackoff < c.SignIn.Backoff {
		return fmt.Errorf("-sign-in-backoff must be positive and at most -sign-in-max-backoff (%s, %s)", c.SignIn.Backoff, c.SignIn.MaxBackoff)
	}
	if _, err := web.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("-trusted-proxies: %w", err)
	}
	if c.HSTSMaxAge < 0 {
		return fmt.Errorf("-hsts-max-age must not be negative, not %s", c.HSTSMaxAge)
	}
	if c.SessionKey != "" && len(c.SessionKey) < 32 {
		return errors.New("the session key must be at least 32 bytes long")
	}
	return nil
}

// requireServeKeys refuses to serve in production without the session and
// signing keys. Only serve uses them, so migrate, user add and the other
// one-shot commands run without them.
func (c *config) requireServeKeys() error {
	if !c.production() {
		return nil // development generates and keeps its own
	}
	var missing []string
	if c.SessionKey == "" {
		missing = append(missing, "SEATPLAN_SESSION_KEY")
	}
	if c.SigningKey == "" {
		missing = append(missing, "SEATPLAN_SIGNING_KEY")
	}
	if len(missing) > 0 {
		return fmt.Errorf("production mode requires %s to serve", strings.Join(missing, ", "))
	}
	return nil
}

func (c *config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.production() {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// devSecret returns the secret kept in DataDir/keys/name, creating it with
// generate the first time, so development restarts keep sessions valid and
// licenses verifiable.
func (c *config) devSecret(name string, generate func() string) (string, error) {
	path := filepath.Join(c.DataDir, "keys", name)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create key folder: %w", err)
	}
	secret := generate()
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return secret, nil
}

// sessionSecret is the configured session secret, or development's own.
func (c *config) sessionSecret() (string, error) {
	if c.SessionKey != "" {
		return c.SessionKey, nil
	}
	return c.devSecret("session.key", func() string { return hex.EncodeToString(randomBytes(32)) })
}

// throttleKey derives the key of the sign-in counters' hashes from the
// session secret, which every process of one deployment shares already.
func (c *config) throttleKey() ([]byte, error) {
	secret, err := c.sessionSecret()
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, err = io.ReadFull(hkdf.New(sha256.New, []byte(secret), nil, []byte("seatplan sign-in throttle")), key)
	return key, err
}

// sessionKeys derives the cookie signing and encryption keys from one secret.
func (c *config) sessionKeys() (hashKey, blockKey []byte, err error) {
	secret, err := c.sessionSecret()
	if err != nil {
		return nil, nil, err
	}
	r := hkdf.New(sha256.New, []byte(secret), nil, []byte("seatplan session cookie"))
	hashKey, blockKey = make([]byte, 64), make([]byte, 32)
	if _, err := io.ReadFull(r, hashKey); err != nil {
		return nil, nil, err
	}
	if _, err := io.ReadFull(r, blockKey); err != nil {
		return nil, nil, err
	}
	return hashKey, blockKey, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails: crypto/rand crashes the program instead
	return b
}

// keyring builds the license signing keyring: the configured key (or, in
// development, one kept under DataDir/keys) plus the retired public keys.
func (c *config) keyring() (*licensing.Keyring, error) {
	encoded := c.SigningKey
	if encoded == "" {
		var err error
		encoded, err = c.devSecret("license-signing.key", func() string { return licensing.EncodePrivateKey(licensing.GenerateKey()) })
		if err != nil {
			return nil, err
		}
	}
	key, err := licensing.ParsePrivateKey(encoded)
	if err != nil {
		return nil, fmt.Errorf("-signing-key: %w", err)
	}
	var previous []ed25519.PublicKey
	for i, s := range strings.Split(c.PreviousSigningKeys, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		pub, err := licensing.ParsePublicKey(s)
		if err != nil {
			return nil, fmt.Errorf("-previous-signing-keys entry %d: %w", i+1, err)
		}
		previous = append(previous, pub)
	}
	return licensing.NewKeyring(key, previous...)
}
