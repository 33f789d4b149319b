// Package apitest checks API calls against the OpenAPI document, so a test
// of the API also proves the document true. Tests send their calls through
// Transport or Client.
package apitest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/seatplan/seatplan/handlers/apidoc"
)

// Document is the OpenAPI document, loaded and validated once.
var Document = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(apidoc.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %w", err)
	}
	return doc, nil
})

var router = sync.OnceValues(func() (routers.Router, error) {
	doc, err := Document()
	if err != nil {
		return nil, err
	}
	// The list readers take these too; their bodies are opaque to the document.
	openapi3filter.RegisterBodyDecoder("application/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", openapi3filter.FileBodyDecoder)
	return legacy.NewRouter(doc)
})

// CheckDefaultTransport makes http.DefaultTransport check every call to
// /api/ or /oauth/ against the document: the answer always, and the request
// when the server took it (2xx or 304). A request the server refused is the
// point of its test, not a call the document describes; its refusal is
// checked all the same. It covers every client that does not bring a
// transport of its own: http.DefaultClient, http.Get, x/oauth2's clients.
// The returned function reports the calls the document does not describe;
// a package's TestMain fails the run on it. A run of benchmarks is not
// checked: the checks would be timed with the server.
func CheckDefaultTransport() (mismatches func() error) {
	c := &transport{base: http.DefaultTransport}
	http.DefaultTransport = c
	return func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.problems) == 0 {
			return nil
		}
		return fmt.Errorf("%d API calls do not match the OpenAPI document (handlers/apidoc/openapi.json):\n%s",
			len(c.problems), strings.Join(c.problems, "\n"))
	}
}

type transport struct {
	base     http.RoundTripper
	mu       sync.Mutex
	problems []string
}

// benchmarking tells a run of benchmarks (go test -bench) from one of
// tests; flags are parsed by the time the first call is made.
var benchmarking = sync.OnceValue(func() bool {
	f := flag.Lookup("test.bench")
	return f != nil && f.Value.String() != ""
})

func (c *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if benchmarking() || !strings.HasPrefix(req.URL.Path, "/api/") && !strings.HasPrefix(req.URL.Path, "/oauth/") {
		return c.base.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		return resp, nil // the caller sees the broken answer for itself
	}
	checked := respBody
	if resp.Header.Get("Content-Encoding") == "gzip" { // asked for by the test itself
		if zr, err := gzip.NewReader(bytes.NewReader(respBody)); err == nil {
			checked, _ = io.ReadAll(zr)
		}
	}
	if problem := Check(req, reqBody, resp.StatusCode, resp.Header, checked); problem != nil {
		c.mu.Lock()
		c.problems = append(c.problems, fmt.Sprintf("%s %s answered %d: %v\n  request: %.1000s\n  answer: %.1000s",
			req.Method, req.URL.RequestURI(), resp.StatusCode, problem, reqBody, respBody))
		c.mu.Unlock()
	}
	return resp, nil
}

// Check checks one call against the document and returns what is wrong with it.
func Check(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) error {
	doc, err := Document()
	if err != nil {
		return err
	}
	r, err := router()
	if err != nil {
		return err
	}
	probe := req.Clone(context.Background())
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := r.FindRoute(probe)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			// Nothing lives there, or not for this method: the answer is still an Error.
			return doc.Components.Schemas["Error"].Value.VisitJSON(decodeJSON(respBody), openapi3.EnableJSONSchema2020())
		}
		return fmt.Errorf("the document has no %s %s: %w", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if status < 300 || status == http.StatusNotModified {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("the request, which the server took: %w", err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("the answer: %w", err)
	}
	return nil
}

func decodeJSON(b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	return v
}
