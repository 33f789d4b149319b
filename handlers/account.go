package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/account"
	"github.com/seatplan/seatplan/views/layout"
)

// AccountPage shows who is signed in and the password change form.
func AccountPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, http.StatusOK, account.AccountPage(accountView(r, "")))
	})
}

func accountView(r *http.Request, errMsg string) account.AccountView {
	a := mustActor(r)
	return account.AccountView{Base: basePage(r, "Your account"), Email: a.Name, Role: string(a.Role), Error: errMsg}
}

type passwordChanger interface {
	ChangePassword(ctx context.Context, personID, current, next, remoteIP string) error
	CreateSession(ctx context.Context, personID string, ttl time.Duration) (string, error)
}

// ChangePasswordPage ends every session of the person, then signs this browser in again.
func ChangePasswordPage(st passwordChanger, sessions SessionManager, clientAddr ClientAddress) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		a := mustActor(r)
		err := st.ChangePassword(r.Context(), a.ID, r.PostFormValue("current_password"), r.PostFormValue("new_password"), clientAddr(r))
		if code := store.ErrorCode(err); code == store.EInvalid || code == store.ERateLimited {
			setRetryAfter(w, err)
			render(w, r, statusOf(err), account.AccountPage(accountView(r, err.Error())))
			return
		}
		var token string
		if err == nil {
			token, err = st.CreateSession(r.Context(), a.ID, SessionTTL)
		}
		if err == nil {
			err = sessions.Begin(w, r, token)
		}
		if err == nil {
			err = sessions.Flash(w, r, layout.Flash{Kind: "success", Message: "Your password was changed and your other sessions were signed out."})
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
}
