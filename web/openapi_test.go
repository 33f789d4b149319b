package web

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/handlers/apitest"
)

// The document describes every API route and no route that is not there.
func TestOpenAPI_DescribesEveryAPIRoute(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, m := range regexp.MustCompile(`mux\.Handle\("([A-Z]+) (/(?:api|oauth)/[^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		routes = append(routes, m[1]+" "+m[2])
	}
	doc, err := apitest.Document()
	if err != nil {
		t.Fatal(err)
	}
	var described []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described = append(described, method+" "+path)
		}
	}
	slices.Sort(routes)
	slices.Sort(described)
	if !slices.Equal(routes, described) {
		t.Errorf("routes:\n%s\nthe document describes:\n%s", strings.Join(routes, "\n"), strings.Join(described, "\n"))
	}
}

func TestOpenAPI_IsServedWithoutAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	resp := get(t, http.DefaultClient, b.srv.URL+"/api/v1/openapi.json")
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); resp.StatusCode != http.StatusOK || err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("GET /api/v1/openapi.json: %d %v %q", resp.StatusCode, err, doc.OpenAPI)
	}
	again := get(t, http.DefaultClient, b.srv.URL+"/api/v1/openapi.json", "If-None-Match", resp.Header.Get("ETag"))
	again.Body.Close()
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating the document: %d, want 304", again.StatusCode)
	}
}
