package handlers

import "github.com/seatplan/seatplan/store/licensing"

// The signed license's claims and the signing keys (a JWK Set, RFC 7517)
// are licensing's formats: an instance verifies the first with the second
// offline, so the API sends them as licensing defines them.

// ActivationRequest activates a license on a client instance.
type ActivationRequest struct {
	LicenseKey string `json:"license_key"`
	InstanceID string `json:"instance_id"`
}

// Activated is a new (or renewed) activation: the secret the instance
// refreshes its license with, shown once, and the signed license.
type Activated struct {
	ActivationID string           `json:"activation_id"`
	Secret       string           `json:"secret"`
	Renewed      bool             `json:"renewed"`
	License      licensing.Claims `json:"license"`
	JWS          string           `json:"jws"`
}

// SignedLicense is an activation's license, as claims and as the signed
// compact JWS that carries them.
type SignedLicense struct {
	License licensing.Claims `json:"license"`
	JWS     string           `json:"jws"`
}
