package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seatplan/seatplan/store"
)

func fieldOf(e *store.Error) string {
	f, _ := e.Detail.(store.FieldName)
	return string(f)
}

func refusedField(t *testing.T, err error) string {
	t.Helper()
	e, ok := errors.AsType[*store.Error](err)
	if !ok || e.Code != store.EBadRequest || e.Reason != store.ReasonInvalidText {
		t.Fatalf("got %v, want a 400 invalid_text", err)
	}
	return fieldOf(e)
}

func TestCheckJSONText_NamesTheFieldWithNULOrInvalidUTF8(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, field string
	}{
		{name: "NULInATopLevelString", body: `{"name":"a\u0000b"}`, field: "name"},
		{name: "NULInANestedField", body: `{"display_name":"x","fields":{"body":"<p>\u0000</p>"}}`, field: "fields.body"},
		{name: "NULInAList", body: `{"emails":["a@example.com","b\u0000@example.com"]}`, field: "emails[1]"},
		{name: "NULInAListOfObjects", body: `{"enrollments":[{"email":"a@x.com","course":"c"},{"email":"b@x.com","course":"c\u0000"}]}`, field: "enrollments[1].course"},
		{name: "InvalidUTF8Value", body: "{\"title\":\"caf\xe9\"}", field: "title"},
		{name: "InvalidUTF8AfterAnObject", body: "{\"a\":{\"b\":1},\"key\":\"\xff\"}", field: "key"},
		{name: "NULInAMemberName", body: `{"na\u0000me":"x"}`, field: `"na\x00me"`},
		{name: "TopLevelString", body: `"\u0000"`, field: "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := refusedField(t, checkJSONText([]byte(tt.body))); got != tt.field {
				t.Errorf("named %q, want %q", got, tt.field)
			}
		})
	}
	for _, ok := range []string{`{"name":"Acme \u00e9 ✓"}`, `{"a":"\\u0000 is spelled like this"}`, `not json \u0000`, `{"fields":{"n":1,"l":[true,null]}}`} {
		if err := checkJSONText([]byte(ok)); err != nil && json.Valid([]byte(ok)) {
			t.Errorf("%s: %v, want accepted", ok, err)
		}
	}
}

func TestCheckRequestText_NamesThePathWildcardOrQueryParameter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, target, pattern, field string
	}{
		{name: "NULInAPathValue", target: "/api/v1/plans/a%00b", pattern: "GET /api/v1/plans/{id}", field: "id"},
		{name: "InvalidUTF8InASecondWildcard", target: "/courses/c1/blocks/%FF/changes", pattern: "GET /courses/{course}/blocks/{block}/changes", field: "block"},
		{name: "UnroutedPath", target: "/nothing/%00", pattern: "/", field: "path"},
		{name: "QueryValue", target: "/plans?q=%FF", pattern: "GET /plans", field: "q"},
		{name: "QueryName", target: "/plans?%00=1", pattern: "GET /plans", field: `"\x00"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", tt.target, nil)
			got := refusedField(t, CheckRequestText(r, func(*http.Request) string { return tt.pattern }))
			if got != tt.field {
				t.Errorf("named %q, want %q", got, tt.field)
			}
		})
	}
}

// FuzzRequestText sends arbitrary bytes as a path value, a query value, a
// form value and a JSON string: whatever the checks let through is UTF-8
// without NUL, and whatever they refuse is a 400 naming a field.
func FuzzRequestText(f *testing.F) {
	for _, seed := range []string{"plain", "a\x00b", "caf\xe9", "\xff\xfe", "✓ ok", `"quoted"`, "\\u0000", "", "%00", "a/b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean := !strings.ContainsRune(s, 0) && utf8.ValidString(s)
		check := func(where string, err error) {
			if err == nil && !clean {
				t.Fatalf("%s: %q passed", where, s)
			}
			if err != nil {
				if e, ok := errors.AsType[*store.Error](err); !ok || e.Code != store.EBadRequest || fieldOf(e) == "" {
					t.Fatalf("%s: %q refused with %v", where, s, err)
				}
			}
		}
		r := httptest.NewRequest("GET", "/plans/x?q="+url.QueryEscape(s), nil)
		r.URL.Path = "/plans/" + s
		check("path and query", CheckRequestText(r, func(*http.Request) string { return "GET /plans/{id}" }))
		check("form", checkValues(url.Values{"name": {s}}))
		body, _ := json.Marshal(map[string]any{"name": "x", "fields": map[string]string{"body": s}})
		if !utf8.ValidString(s) {
			// json.Marshal would repair the bytes; send them raw instead.
			body = []byte(`{"name":"x","fields":{"body":"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"}}`)
		}
		err := checkJSONText(body)
		if json.Valid(body) {
			check("json", err)
		}
	})
}
