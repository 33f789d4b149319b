package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/audit"
)

type auditReader interface {
	ListAudit(ctx context.Context, f store.AuditFilter) (store.AuditPage, error)
	AuditActions(ctx context.Context) ([]string, error)
}

// AuditLogPage pages through the audit trail with search and an action filter.
func AuditLogPage(st auditReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := store.AuditFilter{Q: q.Get("q"), Action: q.Get("action"), Limit: 50}
		f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
		res, err := st.ListAudit(r.Context(), f)
		if err != nil {
			Fail(w, r, err)
			return
		}
		actions, err := st.AuditActions(r.Context())
		if err != nil {
			Fail(w, r, err)
			return
		}
		v := audit.AuditView{Base: basePage(r, "Audit log"), Q: f.Q, Action: f.Action, Actions: actions, Rows: auditRows(res.Entries)}
		if f.Before > 0 {
			v.Pager.PrevURL = auditURL(f.Q, f.Action, 0)
		}
		if res.NextBefore > 0 {
			v.Pager.NextURL = auditURL(f.Q, f.Action, res.NextBefore)
		}
		page(w, r, http.StatusOK, audit.AuditPage(v), audit.AuditResults(v))
	})
}

func auditURL(q, action string, before int64) string {
	vals := url.Values{}
	if q != "" {
		vals.Set("q", q)
	}
	if action != "" {
		vals.Set("action", action)
	}
	if before > 0 {
		vals.Set("before", strconv.FormatInt(before, 10))
	}
	if len(vals) == 0 {
		return "/audit"
	}
	return "/audit?" + vals.Encode()
}
