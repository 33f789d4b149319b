package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/locks"
	"github.com/seatplan/seatplan/views/paths"
)

type lockKeeper interface {
	HeldLocks(ctx context.Context) ([]store.Lock, error)
	ForceReleaseLock(ctx context.Context, name string, by store.Actor) error
	Plan(ctx context.Context, id string) (store.Plan, error)
}

// lockLabel names a lock by what it guards, without the plan's name (which
// only a read tells).
func lockLabel(name string) string {
	switch kind, id, _ := store.LockSubject(name); kind {
	case "plan":
		return "Lock on a plan"
	case "course":
		return "Lock on course " + id
	}
	return "Lock " + name
}

// lockSubject is what a held lock guards, in words, and its page: the plan
// by its name, the course by its key.
func lockSubject(ctx context.Context, st lockKeeper, name string) (label, href string, err error) {
	switch kind, id, _ := store.LockSubject(name); kind {
	case "plan":
		p, err := st.Plan(ctx, id)
		if store.ErrorCode(err) == store.ENotFound {
			return "A deleted plan", "", nil
		}
		if err != nil {
			return "", "", err
		}
		return "Plan " + p.Name, paths.Plan(id), nil
	case "course":
		return "Course " + id, paths.Course(id), nil
	}
	return name, "", nil
}

// LocksPage lists the held locks; support may release one left by crashed work.
func LocksPage(st lockKeeper, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held, err := st.HeldLocks(r.Context())
		if err != nil {
			Fail(w, r, err)
			return
		}
		v := locks.LocksView{Base: basePage(r, "Locks"), CanRelease: mustActor(r).Is(store.RoleAdmin, store.RoleSupport)}
		at := now()
		for _, l := range held {
			label, href, err := lockSubject(r.Context(), st, l.Name)
			if err != nil {
				Fail(w, r, err)
				return
			}
			v.Rows = append(v.Rows, locks.Row{Name: l.Name, Label: label, Href: href, Holder: l.Holder, Purpose: l.Purpose,
				AcquiredAt: l.AcquiredAt, ExpiresAt: l.ExpiresAt, ExpiresInSeconds: (&store.ErrLocked{Lock: l, Now: at}).ExpiresInSeconds()})
		}
		v.Version = lockTableVersion(v)
		if pollUnchanged(w, r, v.Version) {
			return
		}
		page(w, r, http.StatusOK, locks.LocksPage(v), locks.LockTable(v))
	})
}

// lockTableVersion is what the locks table shows; the countdowns run in
// the browser, so the seconds left are not part of it.
func lockTableVersion(v locks.LocksView) string {
	shown := []any{v.CanRelease}
	for _, r := range v.Rows {
		shown = append(shown, r.Name, r.Label, r.Href, r.Holder, r.Purpose, r.AcquiredAt, r.ExpiresAt)
	}
	return pollVersion(shown...)
}

// ReleaseLockPage is how support or an admin frees a lock a crashed holder left behind.
func ReleaseLockPage(st lockKeeper, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if err := st.ForceReleaseLock(r.Context(), name, mustActor(r)); err != nil {
			Fail(w, r, err)
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Released: "+lockLabel(name)+".", "/locks")
	})
}

// lockWatcher reads what a page's banner shows: the lock, and the progress
// of the job working under it.
type lockWatcher interface {
	HeldLock(ctx context.Context, name string) (store.Lock, bool, error)
	LatestJob(ctx context.Context, subjectType, subjectID string) (store.Job, bool, error)
}

// lockPollURL is where a page's banner asks after its lock; empty for a
// lock no page shows.
func lockPollURL(name string) string {
	switch kind, id, _ := store.LockSubject(name); kind {
	case "plan":
		return paths.PlanAction(id, "lock")
	case "course":
		return paths.Course(id) + "/lock"
	}
	return ""
}

// heldBanner is the banner of a page whose lock is held as of now, with the
// holder's job progress. The viewer's own lock (a job they started) shows
// as their work in progress.
func heldBanner(r *http.Request, st lockWatcher, held store.Lock, now time.Time) (*layout.LockBanner, error) {
	b := lockBanner(&store.ErrLocked{Lock: held, Now: now})
	viewer, ok := ActorFrom(r.Context())
	b.Yours = ok && viewer.Kind == held.HolderKind && viewer.ID == held.HolderID
	if kind, id, ok := store.LockSubject(held.Name); ok {
		j, found, err := st.LatestJob(r.Context(), kind, id)
		if err != nil {
			return nil, err
		}
		if found && !j.Finished() {
			b.Job = &layout.LockJob{Done: j.Done, Total: j.Total, Interrupted: j.Interrupted}
		}
	}
	return b, nil
}

// pageBanner is the banner a page shows for its lock, or nil when it is free.
func pageBanner(r *http.Request, st lockWatcher, name string, now time.Time) (*layout.LockBanner, error) {
	held, ok, err := st.HeldLock(r.Context(), name)
	if err != nil || !ok {
		return nil, err
	}
	return heldBanner(r, st, held, now)
}

// PlanLock answers the polls of a plan page's banner.
func PlanLock(st lockWatcher, now func() time.Time) http.Handler {
	return lockStatus(st, now, func(r *http.Request) (string, error) {
		return store.PlanLockName(r.PathValue("id")), nil
	})
}

type courseLockWatcher interface {
	lockWatcher
	Course(ctx context.Context, key string, a store.Actor) (store.Course, error)
}

// CourseLock answers the polls of a course page's banner, to those who may
// see the course.
func CourseLock(st courseLockWatcher, now func() time.Time) http.Handler {
	return lockStatus(st, now, func(r *http.Request) (string, error) {
		key := r.PathValue("course")
		if _, err := st.Course(r.Context(), key, mustActor(r)); err != nil {
			return "", err
		}
		return store.CourseLockName(key), nil
	})
}

// lockStatus answers the banner while the lock is held and the "free again"
// notice once it is not; both replace the banner out of band.
func lockStatus(st lockWatcher, now func() time.Time, lockOf func(*http.Request) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, err := lockOf(r)
		if err != nil {
			Fail(w, r, err)
			return
		}
		b, err := pageBanner(r, st, name, now())
		if err != nil {
			Fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if b == nil {
			render(w, r, http.StatusOK, layout.LockFreed())
			return
		}
		render(w, r, http.StatusOK, layout.BlockedBanner(*b))
	})
}
