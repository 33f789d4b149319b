package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/crypto/bcrypt"

	"github.com/seatplan/seatplan/store/emaillist"
)

// Person is someone who signs in to the web interface.
type Person struct {
	ID        string
	Email     string
	Name      string
	Role      Role
	CreatedAt time.Time
}

// Actor returns the person as the author of changes.
func (p Person) Actor() Actor {
	return Actor{Kind: ActorPerson, ID: p.ID, Name: p.Email, Role: p.Role}
}

// NewPerson is the input of CreatePerson.
type NewPerson struct {
	Email    string
	Name     string
	Role     Role
	Password string
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

const personColumns = `id, email, name, role, created_at`

func scanPerson(row pgx.Row) (Person, error) {
	var p Person
	err := row.Scan(&p.ID, &p.Email, &p.Name, &p.Role, &p.CreatedAt)
	return p, err
}

// CreatePerson adds a person who can sign in; audited as done by by.
func (s *Store) CreatePerson(ctx context.Context, np NewPerson, by Actor) (Person, error) {
	email, reason := emaillist.ValidEmail(np.Email)
	if reason != "" {
		return Person{}, Errorf(EInvalid, "The email address %q is not valid: %s.", np.Email, reason)
	}
	if _, err := ParseRole(string(np.Role)); err != nil {
		return Person{}, err
	}
	if len(np.Password) < MinPasswordLength {
		return Person{}, Errorf(EInvalid, "The password must be at least %d characters long.", MinPasswordLength)
	}
	name := strings.TrimSpace(np.Name)
	if err := tooLong("name", name, MaxNameLength); err != nil {
		return Person{}, err
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(np.Password), s.PasswordCost)
	if err != nil {
		return Person{}, fmt.Errorf("hash password: %w", err)
	}
	var p Person
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		p, err = scanPerson(tx.QueryRow(ctx, `INSERT INTO people (id, email, name, role, password_hash)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+personColumns, NewID(), email, name, np.Role, string(hash)))
		if isUniqueViolation(err) {
			return Errorf(EConflict, "Someone with the email address %s already exists.", email)
		}
		if err != nil {
			return fmt.Errorf("insert person: %w", err)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "person.create", SubjectType: "person", SubjectID: p.ID,
			Summary: fmt.Sprintf("Added %s (%s)", p.Email, p.Role)})
	})
	return p, err
}

// Authenticate checks an email and password from a client address.
// Unknown addresses and wrong passwords get the same answer; attempts are
// throttled per account and per address before any password is compared
// (see SignInThrottle).
func (s *Store) Authenticate(ctx context.Context, email, password, remoteIP string) (Person, error) {
	email = strings.TrimSpace(email)
	if len(email) > emaillist.MaxAddressLength {
		return Person{}, &Error{Code: EBadRequest, Reason: ReasonInvalidText, Message: fmt.Sprintf("The email address is longer than %d characters.", emaillist.MaxAddressLength),
			Detail: FieldName("email")}
	}
	claim, err := s.claimSignIn(ctx, email, remoteIP)
	if err != nil {
		return Person{}, err
	}
	var p Person
	var hash string
	err = s.pool.QueryRow(ctx, `SELECT `+personColumns+`, password_hash FROM people WHERE lower(email) = lower($1) AND deactivated_at IS NULL`, email).
		Scan(&p.ID, &p.Email, &p.Name, &p.Role, &p.CreatedAt, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		hash = s.dummyHash()
	} else if err != nil {
		return Person{}, fmt.Errorf("find person: %w", err)
	}
	ok, err := s.checkPassword(ctx, hash, password)
	if err != nil {
		return Person{}, err
	}
	if !ok || p.ID == "" {
		return Person{}, &Error{Code: EUnauthorized, Message: "The email address or password is incorrect."}
	}
	return p, s.succeeded(ctx, claim)
}

// ChangePassword sets a new password after checking the current one, and
// ends every session of that person (the caller starts a fresh one). The
// check of the current password is throttled as sign-in is, so a session
// left open cannot be used to guess it.
func (s *Store) ChangePassword(ctx context.Context, personID, current, next, remoteIP string) error {
	if len(next) < MinPasswordLength {
		return Errorf(EInvalid, "The new password must be at least %d characters long.", MinPasswordLength)
	}
	var hash, email string
	err := s.pool.QueryRow(ctx, `SELECT password_hash, email FROM people WHERE id = $1`, personID).Scan(&hash, &email)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("find person: %w", err)
	}
	claim, err := s.claimSignIn(ctx, email, remoteIP)
	if err != nil {
		return err
	}
	ok, err := s.checkPassword(ctx, hash, current)
	if err != nil {
		return err
	}
	if !ok {
		return &Error{Code: EInvalid, Message: "The current password is incorrect."}
	}
	if err := s.succeeded(ctx, claim); err != nil {
		return err
	}
	newHash, err := bcrypt.GenerateFromPassword([]byte(next), s.PasswordCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE people SET password_hash = $2, updated_at = now() WHERE id = $1`, personID, string(newHash)); err != nil {
			return fmt.Errorf("update password: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM web_sessions WHERE person_id = $1`, personID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: Actor{Kind: ActorPerson, ID: personID, Name: email}, Action: "person.password_change",
			SubjectType: "person", SubjectID: personID, Summary: "Changed password; all sessions ended"})
	})
}

// CreateSession starts a browser session and returns its token for the cookie.
func (s *Store) CreateSession(ctx context.Context, personID string, ttl time.Duration) (string, error) {
	token := newSecret()
	_, err := s.pool.Exec(ctx, `INSERT INTO web_sessions (token_hash, person_id, expires_at) VALUES ($1, $2, $3)`,
		hashSecret(token), personID, s.Now().Add(ttl))
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return token, nil
}

// PersonBySession resolves a session token; ErrUnauthorized when it ended.
func (s *Store) PersonBySession(ctx context.Context, token string) (Person, error) {
	p, err := scanPerson(s.pool.QueryRow(ctx, `SELECT p.id, p.email, p.name, p.role, p.created_at
		FROM web_sessions w JOIN people p ON p.id = w.person_id
		WHERE w.token_hash = $1 AND w.expires_at > $2 AND p.deactivated_at IS NULL`, hashSecret(token), s.Now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return Person{}, ErrUnauthorized
	}
	if err != nil {
		return Person{}, fmt.Errorf("find session: %w", err)
	}
	return p, nil
}

// EndSession deletes a session, so its cookie is worthless from now on.
func (s *Store) EndSession(ctx context.Context, token string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE token_hash = $1`, hashSecret(token)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// CountPeople tells whether the database is still empty (demo data loads then).
func (s *Store) CountPeople(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM people`).Scan(&n)
	return n, err
}

// dummyHash is compared against when the email is unknown, so that an
// unknown address costs as much time as a wrong password.
func (s *Store) dummyHash() string {
	s.dummyOnce.Do(func() {
		h, _ := bcrypt.GenerateFromPassword([]byte("no such person"), s.PasswordCost)
		s.dummy = string(h)
	})
	return s.dummy
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
