// Package viewtest renders templ components for tests and checks what every
// page must satisfy, such as the Content-Security-Policy default-src 'self'.
package viewtest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// Render renders c and parses the result.
func Render(t testing.TB, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(t.Context(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse rendered HTML: %v", err)
	}
	return doc
}

// ByTestID selects the elements with data-testid="id".
func ByTestID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

// AssertCSPSafe fails the test for anything a CSP of default-src 'self'
// blocks: inline scripts, style elements and attributes, event-handler
// attributes (on*, and htmx's hx-on*, which evaluate code), javascript: URLs.
func AssertCSPSafe(t testing.TB, doc *goquery.Document) {
	t.Helper()
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("src"); !ok {
			t.Errorf("inline <script> without src: %q", s.Text())
		}
	})
	if n := doc.Find("style").Length(); n > 0 {
		t.Errorf("%d <style> elements", n)
	}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			name := strings.ToLower(a.Key)
			value := strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case name == "style":
				t.Errorf("<%s> has a style attribute %q", goquery.NodeName(s), a.Val)
			case strings.HasPrefix(name, "on"),
				strings.HasPrefix(name, "hx-on"), strings.HasPrefix(name, "data-hx-on"):
				t.Errorf("<%s> has an event-handler attribute %s=%q", goquery.NodeName(s), a.Key, a.Val)
			case strings.HasPrefix(value, "javascript:"):
				t.Errorf("<%s> has a javascript: URL in %s", goquery.NodeName(s), a.Key)
			}
		}
	})
}
