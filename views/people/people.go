// Package people renders the people who sign in and the API clients that
// call the API, as admins manage them.
package people

import (
	"time"

	"github.com/seatplan/seatplan/views/layout"
)

// Roles are the choices of a role select, in the order shown.
var Roles = []string{"admin", "author", "support"}

// PeopleView is the people page.
type PeopleView struct {
	Base layout.Base
	Rows []PersonRow
	Add  PersonForm
	// Added is set right after an admin added someone: their one-time
	// password, shown on this page only.
	Added *AddedPerson
	// SelfID is the viewer, whose own row says so.
	SelfID string
}

// PersonRow is one person.
type PersonRow struct {
	ID, Email, Name, Role string
	CreatedAt             time.Time
	DeactivatedAt         *time.Time
}

// PersonForm is the add form with what was typed and what is wrong.
type PersonForm struct {
	Email, Name, Role string
	Errors            layout.FieldErrors
}

// AddedPerson is who was just added, with their password.
type AddedPerson struct {
	Email, Role, Password string
}

// ClientsView is the API clients page.
type ClientsView struct {
	Base layout.Base
	Rows []ClientRow
	Add  ClientForm
	// Secret is set right after a client was created or its secret rotated:
	// the only time the secret is shown.
	Secret *ShownSecret
}

// ClientRow is one API client.
type ClientRow struct {
	ID, Name, Role string
	CreatedAt      time.Time
	RevokedAt      *time.Time
	LiveTokens     int
}

// ClientForm is the create form.
type ClientForm struct {
	Name, Role string
	Errors     layout.FieldErrors
}

// ShownSecret is a client's credentials, shown once.
type ShownSecret struct {
	Name, ClientID, ClientSecret string
	Rotated                      bool
}
