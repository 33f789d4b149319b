package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/store/emaillist"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/people"
)

type peopleKeeper interface {
	ListPeople(ctx context.Context) ([]store.PersonEntry, error)
	CreatePerson(ctx context.Context, np store.NewPerson, by store.Actor) (store.Person, error)
	ChangeRole(ctx context.Context, personID string, role store.Role, by store.Actor) (store.Person, error)
	DeactivatePerson(ctx context.Context, personID string, by store.Actor) (store.Person, error)
}

// PeoplePage lists the people who can sign in, with the add form.
func PeoplePage(st peopleKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderPeople(w, r, st, http.StatusOK, people.PersonForm{Role: string(store.RoleAuthor)}, nil)
	})
}

func renderPeople(w http.ResponseWriter, r *http.Request, st peopleKeeper, status int, form people.PersonForm, added *people.AddedPerson) {
	list, err := st.ListPeople(r.Context())
	if err != nil {
		Fail(w, r, err)
		return
	}
	v := people.PeopleView{Base: basePage(r, "People"), Add: form, Added: added, SelfID: mustActor(r).ID}
	for _, p := range list {
		v.Rows = append(v.Rows, people.PersonRow{ID: p.ID, Email: p.Email, Name: p.Name, Role: string(p.Role),
			CreatedAt: p.CreatedAt, DeactivatedAt: p.DeactivatedAt})
	}
	// A one-time password must not stay in a cache or the back button.
	w.Header().Set("Cache-Control", "no-store")
	render(w, r, status, people.PeoplePage(v))
}

// personForm is the add form as typed, with its field problems.
type personForm struct {
	email, name string
	role        store.Role
}

func (f personForm) problems() layout.FieldErrors {
	errs := layout.FieldErrors{}
	if strings.TrimSpace(f.email) == "" {
		errs["email"] = "Enter the person's email address."
	} else if _, reason := emaillist.ValidEmail(f.email); reason != "" {
		errs["email"] = "This is not a valid email address: " + reason + "."
	}
	if _, err := store.ParseRole(string(f.role)); err != nil {
		errs["role"] = err.Error()
	}
	return errs
}

// AddPerson adds a person with a one-time password shown once on the page.
func AddPerson(st peopleKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		f := personForm{email: r.PostFormValue("email"), name: r.PostFormValue("name"), role: store.Role(r.PostFormValue("role"))}
		typed := people.PersonForm{Email: f.email, Name: f.name, Role: string(f.role), Errors: f.problems()}
		if len(typed.Errors) > 0 {
			renderPeople(w, r, st, http.StatusUnprocessableEntity, typed, nil)
			return
		}
		password := store.NewPassword()
		p, err := st.CreatePerson(r.Context(), store.NewPerson{Email: f.email, Name: f.name, Role: f.role, Password: password}, mustActor(r))
		switch store.ErrorCode(err) {
		case "":
		case store.EConflict, store.EInvalid:
			typed.Errors["email"] = err.Error()
			renderPeople(w, r, st, statusOf(err), typed, nil)
			return
		default:
			Fail(w, r, err)
			return
		}
		renderPeople(w, r, st, http.StatusCreated, people.PersonForm{Role: string(store.RoleAuthor)},
			&people.AddedPerson{Email: p.Email, Role: string(p.Role), Password: password})
	})
}

// ChangePersonRole gives a person another role.
func ChangePersonRole(st peopleKeeper, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		p, err := st.ChangeRole(r.Context(), r.PathValue("id"), store.Role(r.PostFormValue("role")), mustActor(r))
		if refusedOnPage(w, r, sessions, err, "/people") {
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, p.Email+" is now "+string(p.Role)+".", "/people")
	})
}

// DeactivatePersonPage stops a person from signing in and ends their sessions.
func DeactivatePersonPage(st peopleKeeper, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := st.DeactivatePerson(r.Context(), r.PathValue("id"), mustActor(r))
		if refusedOnPage(w, r, sessions, err, "/people") {
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Deactivated "+p.Email+"; their sessions ended.", "/people")
	})
}

// refusedOnPage answers a refused action on a list page: back to the page
// with the reason as an error flash when the person can act on it (the last
// admin, a bad role), as an error page otherwise. It reports whether it
// answered.
func refusedOnPage(w http.ResponseWriter, r *http.Request, sessions SessionManager, err error, to string) bool {
	if err == nil {
		return false
	}
	switch store.ErrorCode(err) {
	case store.EConflict, store.EInvalid, store.ENotFound:
		flashAndRedirect(w, r, sessions, layout.FlashError, err.Error(), to)
	default:
		Fail(w, r, err)
	}
	return true
}

type clientKeeper interface {
	ListClients(ctx context.Context) ([]store.ClientEntry, error)
	CreateClient(ctx context.Context, name string, role store.Role, by store.Actor) (store.ClientCredentials, error)
	RotateClientSecret(ctx context.Context, clientID string, by store.Actor) (store.ClientCredentials, string, error)
	RevokeClient(ctx context.Context, clientID string, by store.Actor) error
}

// ClientsPage lists the API clients with the create form.
func ClientsPage(st clientKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderClients(w, r, st, http.StatusOK, people.ClientForm{Role: string(store.RoleAuthor)}, nil)
	})
}

func renderClients(w http.ResponseWriter, r *http.Request, st clientKeeper, status int, form people.ClientForm, secret *people.ShownSecret) {
	list, err := st.ListClients(r.Context())
	if err != nil {
		Fail(w, r, err)
		return
	}
	v := people.ClientsView{Base: basePage(r, "API clients"), Add: form, Secret: secret}
	for _, c := range list {
		v.Rows = append(v.Rows, people.ClientRow{ID: c.ID, Name: c.Name, Role: string(c.Role), CreatedAt: c.CreatedAt,
			RevokedAt: c.RevokedAt, LiveTokens: c.LiveTokens})
	}
	w.Header().Set("Cache-Control", "no-store") // a secret is on it
	render(w, r, status, people.ClientsPage(v))
}

// CreateClientPage creates an API client and shows its secret once.
func CreateClientPage(st clientKeeper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readForm(w, r, maxFormBody) {
			return
		}
		name, role := r.PostFormValue("name"), store.Role(r.PostFormValue("role"))
		typed := people.ClientForm{Name: name, Role: string(role), Errors: layout.FieldErrors{}}
		if strings.TrimSpace(name) == "" {
			typed.Errors["name"] = "Give the client a name that says what it is."
		}
		if _, err := store.ParseRole(string(role)); err != nil {
			typed.Errors["role"] = err.Error()
		}
		if len(typed.Errors) > 0 {
			renderClients(w, r, st, http.StatusUnprocessableEntity, typed, nil)
			return
		}
		creds, err := st.CreateClient(r.Context(), name, role, mustActor(r))
		if store.ErrorCode(err) == store.EInvalid {
			typed.Errors["name"] = err.Error()
			renderClients(w, r, st, http.StatusUnprocessableEntity, typed, nil)
			return
		}
		if err != nil {
			Fail(w, r, err)
			return
		}
		renderClients(w, r, st, http.StatusCreated, people.ClientForm{Role: string(store.RoleAuthor)},
			&people.ShownSecret{Name: strings.TrimSpace(name), ClientID: creds.ClientID, ClientSecret: creds.ClientSecret})
	})
}

// RotateClientPage gives a client a new secret, shown once: in the page's
// secret slot (htmx), or on the clients page.
func RotateClientPage(st clientKeeper, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		creds, name, err := st.RotateClientSecret(r.Context(), r.PathValue("id"), mustActor(r))
		if refusedOnPage(w, r, sessions, err, "/clients") {
			return
		}
		secret := &people.ShownSecret{Name: name, ClientID: creds.ClientID,
			ClientSecret: creds.ClientSecret, Rotated: true}
		if isHTMX(r) {
			w.Header().Set("Cache-Control", "no-store")
			render(w, r, http.StatusOK, people.ClientSecret(secret))
			return
		}
		renderClients(w, r, st, http.StatusOK, people.ClientForm{Role: string(store.RoleAuthor)}, secret)
	})
}

// RevokeClientPage disables a client for good.
func RevokeClientPage(st clientKeeper, sessions SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := st.RevokeClient(r.Context(), r.PathValue("id"), mustActor(r))
		if refusedOnPage(w, r, sessions, err, "/clients") {
			return
		}
		flashAndRedirect(w, r, sessions, layout.FlashSuccess, "Revoked the API client; its tokens stopped working.", "/clients")
	})
}
