package store

// Role is what a person or API client may do.
type Role string

const (
	RoleAdmin   Role = "admin"
	RoleAuthor  Role = "author"
	RoleSupport Role = "support"
)

// ParseRole accepts the three role names.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleAuthor, RoleSupport:
		return r, nil
	}
	return "", Errorf(EInvalid, "Unknown role %q: use admin, author or support.", s)
}

// ActorKind says whether a change came from a person, an API client, or the system itself.
type ActorKind string

const (
	ActorPerson ActorKind = "person"
	ActorClient ActorKind = "client"
	ActorSystem ActorKind = "system"
)

// Actor is who does something: recorded in the audit log, lock holders and versions.
type Actor struct {
	Kind ActorKind
	ID   string
	Name string // email for people, client name for API clients
	Role Role
}

// SystemActor is used for work no person or client started (demo data, rescues).
var SystemActor = Actor{Kind: ActorSystem, ID: "system", Name: "Seatplan"}

// Is reports whether the actor has one of roles.
func (a Actor) Is(roles ...Role) bool {
	for _, r := range roles {
		if a.Role == r {
			return true
		}
	}
	return false
}
