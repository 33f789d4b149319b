package viewtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// complaints records what AssertCSPSafe reports instead of failing.
type complaints struct {
	testing.TB
	errors []string
}

func (c *complaints) Helper() {}

func (c *complaints) Errorf(format string, args ...any) {
	c.errors = append(c.errors, fmt.Sprintf(format, args...))
}

func TestAssertCSPSafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, html  string
		wantFlagged bool
	}{
		{"ScriptWithSrc", `<script src="/static/js/app.js" defer></script><p class="x">ok</p>`, false},
		{"DataAttributes", `<span data-countdown-until="2025-01-01T00:00:00Z" hx-get="/audit">x</span>`, false},
		{"InlineScript", `<script>alert(1)</script>`, true},
		{"StyleElement", `<style>p{color:red}</style>`, true},
		{"StyleAttribute", `<div style="width:50%"></div>`, true},
		{"EventHandler", `<button onclick="go()">x</button>`, true},
		{"HtmxOn", `<button hx-on:click="go()">x</button>`, true},
		{"JavaScriptURL", `<a href=" javascript:alert(1)">x</a>`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(tt.html))
			if err != nil {
				t.Fatal(err)
			}
			c := &complaints{TB: t}
			AssertCSPSafe(c, doc)
			if flagged := len(c.errors) > 0; flagged != tt.wantFlagged {
				t.Errorf("flagged = %v (%q), want %v", flagged, c.errors, tt.wantFlagged)
			}
		})
	}
}
