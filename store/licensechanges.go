package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LicenseChangedChannel is the NOTIFY channel on which triggers name the
// plan whose signed licenses changed (a plan's terms or name, a license's
// status or email, an activation's secret or revocation). Any code path
// that changes those rows notifies, without knowing who listens.
const LicenseChangedChannel = "license_changed"

// LicenseChangeListener hears what WatchLicenseChanges receives.
type LicenseChangeListener interface {
	// Listening is called each time the listening connection is
	// (re)established: changes made while it was down were not heard.
	Listening()
	// PlanChanged is called for each notification.
	PlanChanged(planID string)
	// Deaf is called when the connection is lost; notifications may be
	// missed until the next Listening.
	Deaf(err error)
}

// Reconnection backoff of the listening connection.
const (
	minListenBackoff = 100 * time.Millisecond
	maxListenBackoff = 5 * time.Second
)

// WatchLicenseChanges holds one dedicated connection (outside the pool)
// listening on LicenseChangedChannel and reports to l until ctx ends,
// reconnecting with backoff when the connection fails.
func (s *Store) WatchLicenseChanges(ctx context.Context, l LicenseChangeListener) {
	backoff := minListenBackoff
	for ctx.Err() == nil {
		listened, err := s.listenOnce(ctx, l)
		if ctx.Err() != nil {
			return
		}
		l.Deaf(err)
		if listened {
			backoff = minListenBackoff
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxListenBackoff)
	}
}

// listenOnce listens on one connection until it fails; listened says
// whether it got as far as LISTEN.
func (s *Store) listenOnce(ctx context.Context, l LicenseChangeListener) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false, fmt.Errorf("connect to listen for license changes: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+LicenseChangedChannel); err != nil {
		return false, fmt.Errorf("listen for license changes: %w", err)
	}
	l.Listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("wait for license changes: %w", err)
		}
		l.PlanChanged(n.Payload)
	}
}
