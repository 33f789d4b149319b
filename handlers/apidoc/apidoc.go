// Package apidoc holds the OpenAPI document of Seatplan's public API: the
// contract external tools build against. The API tests check every answer
// against it (see handlers/apitest), so it cannot drift from the server.
package apidoc

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document, as JSON.
//
//go:embed openapi.json
var OpenAPI []byte
