package apitest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/seatplan/seatplan/handlers/apitest"
)

func TestDocument_IsAValidOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc, err := apitest.Document()
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
}

func TestCheck_RefusesAnAnswerTheDocumentDoesNotDescribe(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/api/v1/plans/p1", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{"APlan", 200, `{"id":"p1","name":"Acme","seats":3,"starts_at":"2026-01-01T00:00:00Z","expires_at":"2027-01-01T00:00:00Z",
			"terms_changed_at":"2026-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z",
			"counts":{"unassigned":3,"assigned":0,"activated":0,"revoked":0}}`, true},
		{"AMissingMember", 200, `{"id":"p1","name":"Acme"}`, false},
		{"AnUndocumentedMember", 200, `{"id":"p1","name":"Acme","seats":3,"starts_at":"2026-01-01T00:00:00Z","expires_at":"2027-01-01T00:00:00Z",
			"terms_changed_at":"2026-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z",
			"counts":{"unassigned":3,"assigned":0,"activated":0,"revoked":0},"colour":"red"}`, false},
		{"ARefusal", 404, `{"error":"not_found","message":"There is no plan p1."}`, true},
		{"ARefusalWithoutMessage", 404, `{"error":"not_found"}`, false},
		{"AnUndocumentedStatus", 201, `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := apitest.Check(req, nil, tt.status, h, []byte(tt.body))
			if (err == nil) != tt.ok {
				t.Errorf("Check: %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// docs/API.md is the document rendered; `make api-doc` renders it again.
func TestReference_IsCurrent(t *testing.T) {
	t.Parallel()
	doc, err := apitest.Document()
	if err != nil {
		t.Fatal(err)
	}
	want := apitest.Reference(doc)
	const path = "../../docs/API.md"
	if os.Getenv("UPDATE_API_DOC") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("docs/API.md is not the rendering of the OpenAPI document (%v): run make api-doc", err)
	}
}
