package web

import (
	"context"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store"
)

func TestPages_ShowTheSignedInPersonByName(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	for _, p := range []store.NewPerson{
		{Email: "ada@example.com", Name: "Ada Lovelace", Role: store.RoleAdmin, Password: "correct horse battery"},
		{Email: "nameless@example.com", Role: store.RoleAdmin, Password: "correct horse battery"},
	} {
		person, err := b.store.CreatePerson(context.Background(), p, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		c := b.browser(t)
		b.signIn(t, c, p.Email, p.Password)
		want := person.Name // a person created without one is named from their address
		if want == "" {
			want = p.Email
		}
		if got := strings.TrimSpace(doc(t, get(t, c, b.srv.URL+"/account")).Find(`[data-testid="user-name"]`).Text()); got != want {
			t.Errorf("%s is shown as %q, want %q", p.Email, got, want)
		}
	}
}
