package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/locks"
)

type lockKeeper interface {
	HeldLocks(ctx context.Context) ([]store.Lock, error)
	ForceReleaseLock(ctx context.Context, name string, by store.Actor) error
}

// LocksPage lists the held locks; support may release one left by crashed work.
func LocksPage(st lockKeeper, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held, err := st.HeldLocks(r.Context())
		if err != nil {
			Fail(w, r, err)
			return
		}
		v := locks.PageView{Base: basePage(r, "Locks"), CanRelease: mustActor(r).Is(store.RoleAdmin, store.RoleSupport)}
		at := now()
		for _, l := range held {
			v.Rows = append(v.Rows, locks.Row{Name: l.Name, Holder: l.Holder, Purpose: l.Purpose, Token: l.Token,
				AcquiredAt: l.AcquiredAt, ExpiresAt: l.ExpiresAt, ExpiresInSeconds: (&store.ErrLocked{Lock: l, Now: at}).ExpiresInSeconds()})
		}
		page(w, r, http.StatusOK, locks.LocksPage(v), locks.LockTable(v))
	})
}

// ReleaseLockPage is how support or an admin frees a lock a crashed holder left behind.
func ReleaseLockPage(st lockKeeper, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if err := st.ForceReleaseLock(r.Context(), name, mustActor(r)); err != nil {
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Released the lock "+name+".", "/locks")
	})
}
