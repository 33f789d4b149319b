package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store"
)

type fakeDashboard struct{}

func (fakeDashboard) ReadOverview(context.Context) (store.Overview, error) {
	return store.Overview{HeldLocks: 1}, nil
}

func (fakeDashboard) ListAudit(context.Context, store.AuditFilter) (store.AuditPage, error) {
	return store.AuditPage{}, nil
}

func TestDashboard_LinksOnlyToPagesTheRoleMayOpen(t *testing.T) {
	t.Parallel()
	for role, wantLocksLink := range map[store.Role]bool{store.RoleAdmin: true, store.RoleSupport: true, store.RoleAuthor: false} {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r = r.WithContext(WithActor(r.Context(), store.Actor{Kind: store.ActorPerson, ID: "p1", Name: "p@example.com", Role: role}))
			w := httptest.NewRecorder()
			DashboardPage(fakeDashboard{}).ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if got := strings.Contains(w.Body.String(), `href="/locks"`); got != wantLocksLink {
				t.Errorf("links to /locks: %v, want %v", got, wantLocksLink)
			}
		})
	}
}
