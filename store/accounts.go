package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// PersonEntry is a person as the list of people shows them.
type PersonEntry struct {
	Person
	DeactivatedAt *time.Time
}

// Active tells whether the person can sign in.
func (p PersonEntry) Active() bool { return p.DeactivatedAt == nil }

// ListPeople returns everyone who can or could sign in: active people first,
// then by email. A deployment has tens of people, not thousands.
func (s *Store) ListPeople(ctx context.Context) ([]PersonEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+personColumns+`, deactivated_at FROM people
		ORDER BY deactivated_at IS NOT NULL, lower(email)`)
	if err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (PersonEntry, error) {
		var p PersonEntry
		err := r.Scan(&p.ID, &p.Email, &p.Name, &p.Role, &p.CreatedAt, &p.DeactivatedAt)
		return p, err
	})
}

// NewPassword is a random one-time password for a person an admin adds,
// shown to the admin once.
func NewPassword() string { return newSecret()[:20] }

// ChangeRole gives a person another role; the last active admin keeps theirs.
func (s *Store) ChangeRole(ctx context.Context, personID string, role Role, by Actor) (Person, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return Person{}, err
	}
	var p Person
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if role != RoleAdmin {
			if err := keepAnAdmin(ctx, tx, personID, "change the role of"); err != nil {
				return err
			}
		}
		var old Role
		err := tx.QueryRow(ctx, `SELECT role FROM people WHERE id = $1 AND deactivated_at IS NULL FOR UPDATE`, personID).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) {
			return Errorf(ENotFound, "There is no active person %q.", personID)
		}
		if err != nil {
			return fmt.Errorf("read person %s: %w", personID, err)
		}
		p, err = scanPerson(tx.QueryRow(ctx, `UPDATE people SET role = $2, updated_at = now() WHERE id = $1 RETURNING `+personColumns, personID, role))
		if err != nil {
			return fmt.Errorf("change role of %s: %w", personID, err)
		}
		if old == role {
			return nil
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "person.role_change", SubjectType: "person", SubjectID: personID,
			Summary: fmt.Sprintf("Changed the role of %s from %s to %s", p.Email, old, role)})
	})
	return p, err
}

// DeactivatePerson stops a person from signing in and ends their sessions
// at once; the last active admin cannot be deactivated.
func (s *Store) DeactivatePerson(ctx context.Context, personID string, by Actor) (Person, error) {
	var p Person
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := keepAnAdmin(ctx, tx, personID, "deactivate"); err != nil {
			return err
		}
		var err error
		p, err = scanPerson(tx.QueryRow(ctx, `UPDATE people SET deactivated_at = now(), updated_at = now()
			WHERE id = $1 AND deactivated_at IS NULL RETURNING `+personColumns, personID))
		if errors.Is(err, pgx.ErrNoRows) {
			return Errorf(ENotFound, "There is no active person %q.", personID)
		}
		if err != nil {
			return fmt.Errorf("deactivate %s: %w", personID, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM web_sessions WHERE person_id = $1`, personID); err != nil {
			return fmt.Errorf("end sessions of %s: %w", personID, err)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "person.deactivate", SubjectType: "person", SubjectID: personID,
			Summary: fmt.Sprintf("Deactivated %s; their sessions ended", p.Email)})
	})
	return p, err
}

// keepAnAdmin refuses a change that would take personID's admin rights away
// when they are the last active admin. Invariant: an active admin exists.
// It locks every active admin's row first, so concurrent changes to two
// admins run one after the other and the second sees the first's outcome.
func keepAnAdmin(ctx context.Context, tx pgx.Tx, personID, what string) error {
	var last bool
	if err := tx.QueryRow(ctx, `SELECT count(*) = 1 AND bool_and(id = $1)
		FROM (SELECT id FROM people WHERE role = 'admin' AND deactivated_at IS NULL ORDER BY id FOR UPDATE) admins`, personID).Scan(&last); err != nil {
		return fmt.Errorf("lock admins: %w", err)
	}
	if last {
		return &Error{Code: EConflict, Reason: ReasonLastAdmin, Message: fmt.Sprintf("You cannot %s the last admin: make someone else an admin first.", what)}
	}
	return nil
}

// ClientEntry is an API client as the list of clients shows it.
type ClientEntry struct {
	ID, Name   string
	Role       Role
	CreatedAt  time.Time
	RevokedAt  *time.Time
	LiveTokens int
}

// ListClients returns every API client, live ones first, newest first.
func (s *Store) ListClients(ctx context.Context) ([]ClientEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.name, c.role, c.created_at, c.disabled_at,
			(SELECT count(*) FROM api_tokens t WHERE t.client_id = c.id AND t.expires_at > $1)
		FROM api_clients c ORDER BY c.disabled_at IS NOT NULL, c.created_at DESC, c.id DESC`, s.Now())
	if err != nil {
		return nil, fmt.Errorf("list api clients: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClientEntry, error) {
		var c ClientEntry
		err := r.Scan(&c.ID, &c.Name, &c.Role, &c.CreatedAt, &c.RevokedAt, &c.LiveTokens)
		return c, err
	})
}

// RotateClientSecret gives a live client a new secret, shown once; the old
// secret and every token issued with it stop working at once. It returns
// the new credentials and the client's name.
func (s *Store) RotateClientSecret(ctx context.Context, clientID string, by Actor) (creds ClientCredentials, name string, err error) {
	creds = ClientCredentials{ClientID: clientID, ClientSecret: newSecret()}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		name, err = endClientTokens(ctx, tx, clientID, `UPDATE api_clients SET secret_hash = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING name`,
			hashSecret(creds.ClientSecret))
		if err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "client.rotate_secret", SubjectType: "client", SubjectID: clientID,
			Summary: fmt.Sprintf("Rotated the secret of API client %s; its tokens stopped working", name)})
	})
	return creds, name, err
}

// RevokeClient disables a client for good; its tokens stop working at once.
func (s *Store) RevokeClient(ctx context.Context, clientID string, by Actor) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		name, err := endClientTokens(ctx, tx, clientID, `UPDATE api_clients SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL RETURNING name`)
		if err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "client.revoke", SubjectType: "client", SubjectID: clientID,
			Summary: fmt.Sprintf("Revoked API client %s; its tokens stopped working", name)})
	})
}

// endClientTokens runs update on a live client (it returns the client's
// name) and deletes the client's tokens in the same transaction.
func endClientTokens(ctx context.Context, tx pgx.Tx, clientID, update string, args ...any) (string, error) {
	var name string
	err := tx.QueryRow(ctx, update, append([]any{clientID}, args...)...).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", Errorf(ENotFound, "There is no live API client %q.", clientID)
	}
	if err != nil {
		return "", fmt.Errorf("update api client %s: %w", clientID, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM api_tokens WHERE client_id = $1`, clientID); err != nil {
		return "", fmt.Errorf("end tokens of %s: %w", clientID, err)
	}
	return name, nil
}

// StaffMember is a person or API client on a course's staff.
type StaffMember struct {
	Kind     ActorKind
	ID, Name string // Name: the person's email or the client's name
	Role     Role
}

// CourseStaff lists who may author a course, people first.
func (s *Store) CourseStaff(ctx context.Context, key string, a Actor) ([]StaffMember, error) {
	if _, err := authorizeCourse(ctx, s.pool, key, a, rightView, false); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT 'person', p.id, p.email, p.role FROM course_staff s JOIN people p ON p.id = s.person_id
			WHERE s.course_key = $1 AND p.deactivated_at IS NULL
		UNION ALL
		SELECT 'client', c.id, c.name, c.role FROM course_staff s JOIN api_clients c ON c.id = s.client_id
			WHERE s.course_key = $1 AND c.disabled_at IS NULL
		ORDER BY 1 DESC, 3`, key)
	if err != nil {
		return nil, fmt.Errorf("list staff of %s: %w", key, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StaffMember, error) {
		var m StaffMember
		err := r.Scan(&m.Kind, &m.ID, &m.Name, &m.Role)
		return m, err
	})
}

// FindStaffCandidate resolves what an admin typed to add to a course's
// staff: an active person's email, or a live API client's id.
func (s *Store) FindStaffCandidate(ctx context.Context, who string) (Actor, error) {
	who = strings.TrimSpace(who)
	if who == "" {
		return Actor{}, Errorf(EInvalid, "Name a person by email, or an API client by its client id.")
	}
	a := Actor{}
	err := s.pool.QueryRow(ctx, `SELECT 'person', id, email, role FROM people WHERE lower(email) = lower($1) AND deactivated_at IS NULL
		UNION ALL SELECT 'client', id, name, role FROM api_clients WHERE id = lower($1) AND disabled_at IS NULL
		LIMIT 1`, who).Scan(&a.Kind, &a.ID, &a.Name, &a.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return Actor{}, Errorf(EInvalid, "Nobody active is called %q: use a person's email or an API client's client id.", who)
	}
	if err != nil {
		return Actor{}, fmt.Errorf("find %q: %w", who, err)
	}
	return a, nil
}

// RemoveCourseStaff takes a person or API client off a course's staff and
// returns their name (email or client name).
func (s *Store) RemoveCourseStaff(ctx context.Context, key string, kind ActorKind, id string, by Actor) (string, error) {
	col, ok := map[ActorKind]string{ActorPerson: "person_id", ActorClient: "client_id"}[kind]
	if !ok {
		return "", Errorf(EInvalid, "Only people and API clients can be course staff.")
	}
	var name string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := authorizeCourse(ctx, tx, key, by, rightEdit, true); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `DELETE FROM course_staff s WHERE s.course_key = $1 AND s.`+col+` = $2
			RETURNING coalesce((SELECT email FROM people WHERE id = s.person_id), (SELECT name FROM api_clients WHERE id = s.client_id))`,
			key, id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return Errorf(ENotFound, "They are not on the staff of %s (any more).", key)
		}
		if err != nil {
			return fmt.Errorf("remove staff from %s: %w", key, err)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "course.staff_remove", SubjectType: "course", SubjectID: key,
			Summary: fmt.Sprintf("Removed %s from the staff of %s", name, key)})
	})
	return name, err
}

// staffKinds are the actor kinds course staff may be.
var staffKinds = []ActorKind{ActorPerson, ActorClient}

// ParseStaffKind reads "person" or "client" from a form.
func ParseStaffKind(s string) (ActorKind, error) {
	if k := ActorKind(s); slices.Contains(staffKinds, k) {
		return k, nil
	}
	return "", Errorf(EInvalid, "Course staff are people or API clients, not %q.", s)
}
