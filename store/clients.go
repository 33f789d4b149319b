package store

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClientCredentials are shown once, when an API client is created.
type ClientCredentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// AccessToken is an OAuth 2.0 bearer token issued by the client credentials grant.
type AccessToken struct {
	Token     string
	ExpiresIn time.Duration
}

// errInvalidClient is RFC 6749's answer for unknown clients and wrong secrets alike.
var errInvalidClient = &Error{Code: EUnauthorized, Reason: ReasonInvalidClient, Message: "Client authentication failed."}

// CreateClient registers an API client with a role.
func (s *Store) CreateClient(ctx context.Context, name string, role Role, by Actor) (ClientCredentials, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return ClientCredentials{}, Errorf(EInvalid, "An API client needs a name.")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return ClientCredentials{}, err
	}
	creds := ClientCredentials{ClientID: strings.ToLower(NewID()), ClientSecret: newSecret()}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO api_clients (id, name, role, secret_hash) VALUES ($1, $2, $3, $4)`,
			creds.ClientID, name, role, hashSecret(creds.ClientSecret)); err != nil {
			return fmt.Errorf("insert api client: %w", err)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "client.create", SubjectType: "client", SubjectID: creds.ClientID,
			Summary: fmt.Sprintf("Added API client %s (%s)", name, role)})
	})
	return creds, err
}

// IssueToken implements the client credentials grant (RFC 6749 §4.4).
func (s *Store) IssueToken(ctx context.Context, clientID, secret string, ttl time.Duration) (AccessToken, error) {
	var stored []byte
	err := s.pool.QueryRow(ctx, `SELECT secret_hash FROM api_clients WHERE id = $1 AND disabled_at IS NULL`, clientID).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		stored = make([]byte, 32) // compare anyway: same work for unknown ids
	} else if err != nil {
		return AccessToken{}, fmt.Errorf("find api client: %w", err)
	}
	if subtle.ConstantTimeCompare(stored, hashSecret(secret)) != 1 {
		return AccessToken{}, errInvalidClient
	}
	token := newSecret()
	now := s.Now()
	// Expired tokens are swept as new ones are issued, keeping the table small.
	if _, err := s.pool.Exec(ctx, `WITH swept AS (DELETE FROM api_tokens WHERE expires_at < $4)
		INSERT INTO api_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, $3)`,
		hashSecret(token), clientID, now.Add(ttl), now); err != nil {
		return AccessToken{}, fmt.Errorf("store access token: %w", err)
	}
	return AccessToken{Token: token, ExpiresIn: ttl}, nil
}

// ClientByToken resolves a bearer token to the API client it was issued to.
func (s *Store) ClientByToken(ctx context.Context, token string) (Actor, error) {
	a := Actor{Kind: ActorClient}
	err := s.pool.QueryRow(ctx, `SELECT c.id, c.name, c.role FROM api_tokens t JOIN api_clients c ON c.id = t.client_id
		WHERE t.token_hash = $1 AND t.expires_at > $2 AND c.disabled_at IS NULL`, hashSecret(token), s.Now()).Scan(&a.ID, &a.Name, &a.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return Actor{}, &Error{Code: EUnauthorized, Reason: ReasonInvalidToken, Message: "The access token is missing, unknown or expired."}
	}
	if err != nil {
		return Actor{}, fmt.Errorf("find access token: %w", err)
	}
	return a, nil
}
