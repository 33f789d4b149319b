package errorpage_test

import (
	"testing"

	"github.com/seatplan/seatplan/views/errorpage"
	"github.com/seatplan/seatplan/views/layout"
	"github.com/seatplan/seatplan/views/viewtest"
)

func TestErrorPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		view        errorpage.ErrorView
		wantHeading string
	}{
		{"NotFound", errorpage.ErrorView{Status: 404}, "Page not found"},
		{"Internal", errorpage.ErrorView{Status: 500}, "Something went wrong"},
		{"OtherStatusUsesItsText", errorpage.ErrorView{Status: 413}, "Request Entity Too Large"},
		{"TitleOverrides", errorpage.ErrorView{Status: 404, Title: "No such plan"}, "No such plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := viewtest.Render(t, errorpage.ErrorPage(tt.view))
			viewtest.AssertCSPSafe(t, doc)

			if viewtest.ByTestID(doc, "error-page").Length() != 1 {
				t.Fatal("no error page")
			}
			if got := viewtest.ByTestID(doc, "error-title").Text(); got != tt.wantHeading {
				t.Errorf("heading = %q, want %q", got, tt.wantHeading)
			}
			if got := viewtest.ByTestID(doc, "error-home").AttrOr("href", ""); got != "/" {
				t.Errorf("home link = %q, want /", got)
			}
		})
	}
}

func TestErrorPage_ShowsStatusAndEscapedMessage(t *testing.T) {
	t.Parallel()
	msg := `There is nothing at /<script>alert(1)</script>.`
	doc := viewtest.Render(t, errorpage.ErrorPage(errorpage.ErrorView{
		Base:    layout.Base{Title: "Not found"},
		Status:  404,
		Message: msg,
	}))
	viewtest.AssertCSPSafe(t, doc)
	if got := viewtest.ByTestID(doc, "error-status").Text(); got != "404" {
		t.Errorf("status = %q", got)
	}
	if got := viewtest.ByTestID(doc, "error-message").Text(); got != msg {
		t.Errorf("message = %q, want %q", got, msg)
	}
}

func TestErrorPage_ShowsTheReferenceToQuoteToSupport(t *testing.T) {
	t.Parallel()
	doc := viewtest.Render(t, errorpage.ErrorPage(errorpage.ErrorView{Status: 500, Reference: "01JREF"}))
	if got := viewtest.ByTestID(doc, "error-reference").Text(); got != "01JREF" {
		t.Errorf("reference = %q", got)
	}
	doc = viewtest.Render(t, errorpage.ErrorPage(errorpage.ErrorView{Status: 500}))
	if viewtest.ByTestID(doc, "error-reference").Length() != 0 {
		t.Error("a reference shown without one")
	}
}
