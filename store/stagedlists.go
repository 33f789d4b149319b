package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// What a staged list is for.
const (
	ListForAssignment = "assignment"
	ListForRevocation = "revocation"
	ListForEnrollment = "enrollment"
)

// stagedListLifetime is how long a preview can be confirmed: long enough to
// check it and pick a column, short enough that uploads do not pile up.
const stagedListLifetime = time.Hour

// StagedList is an upload kept, as it came, between its preview and its
// confirmation.
type StagedList struct {
	ID          string
	Purpose     string // ListForAssignment, ListForRevocation or ListForEnrollment
	PlanID      string // the plan an assignment's list is for; "" for enrollment
	FileName    string // "" for pasted text
	ContentType string // as the upload declared it
	Body        []byte
	ExpiresAt   time.Time
}

// Pasted reports whether the list was pasted rather than uploaded as a file.
func (l StagedList) Pasted() bool { return l.FileName == "" }

// StageList keeps an upload for its preview, for by alone, until it expires.
func (s *Store) StageList(ctx context.Context, l StagedList, by Actor) (StagedList, error) {
	if by.Kind != ActorPerson && by.Kind != ActorClient {
		return StagedList{}, fmt.Errorf("stage a list for %s %s: only people and clients preview lists", by.Kind, by.ID)
	}
	l.ID, l.ExpiresAt = NewID(), s.Now().Add(stagedListLifetime)
	_, err := s.pool.Exec(ctx, `INSERT INTO staged_lists (id, purpose, plan_id, owner_kind, owner_id, file_name, content_type, body, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, l.ID, l.Purpose, nullable(l.PlanID), by.Kind, by.ID, l.FileName, l.ContentType, l.Body, l.ExpiresAt)
	if err != nil {
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23503" { // foreign_key_violation
			return StagedList{}, Errorf(ENotFound, "There is no plan %q.", l.PlanID)
		}
		return StagedList{}, fmt.Errorf("stage a list: %w", err)
	}
	return l, nil
}

// StagedListFor returns the staged list id if by staged it for purpose and,
// for an assignment, for planID, and it has not expired. Any other list is
// not found: another person's preview is not theirs to confirm, nor one made
// for another plan.
func (s *Store) StagedListFor(ctx context.Context, id, purpose, planID string, by Actor) (StagedList, error) {
	l := StagedList{ID: id, Purpose: purpose, PlanID: planID}
	var expired bool
	err := s.pool.QueryRow(ctx, `SELECT file_name, content_type, body, expires_at, expires_at <= $6 FROM staged_lists
		WHERE id = $1 AND purpose = $2 AND plan_id IS NOT DISTINCT FROM NULLIF($3, '') AND owner_kind = $4 AND owner_id = $5`,
		id, purpose, planID, by.Kind, by.ID, s.Now()).Scan(&l.FileName, &l.ContentType, &l.Body, &l.ExpiresAt, &expired)
	if errors.Is(err, pgx.ErrNoRows) {
		return StagedList{}, &Error{Code: ENotFound, Reason: ReasonPreviewNotFound,
			Message: "There is no such preview of yours here; upload the list again."}
	}
	if err != nil {
		return StagedList{}, fmt.Errorf("read staged list %s: %w", id, err)
	}
	if expired {
		return StagedList{}, &Error{Code: ENotFound, Reason: ReasonPreviewExpired,
			Message: fmt.Sprintf("The preview expired (previews last %s); upload the list again.", stagedListLifetime)}
	}
	return l, nil
}

// DropStagedList deletes a staged list once it has been used.
func (s *Store) DropStagedList(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM staged_lists WHERE id = $1`, id); err != nil {
		return fmt.Errorf("drop staged list %s: %w", id, err)
	}
	return nil
}
