package handlers

import "github.com/seatplan/seatplan/store"

// TokenBody is an access token from the client credentials grant (RFC 6749 §4.4).
type TokenBody struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"` // always Bearer
	ExpiresIn   int    `json:"expires_in"` // seconds
}

// Me is the API client a token authenticates.
type Me struct {
	Kind store.ActorKind `json:"kind"`
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Role store.Role      `json:"role"`
}

// HealthBody says whether the server can reach its database.
type HealthBody struct {
	Status   string `json:"status"`
	Database string `json:"database,omitzero"`
}
