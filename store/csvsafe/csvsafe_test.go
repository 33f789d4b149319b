package csvsafe_test

import (
	"testing"

	"github.com/seatplan/seatplan/store/csvsafe"
)

func TestCell_NeutralisesWhatASpreadsheetWouldRun(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ada@example.com":       "ada@example.com",
		"":                      "",
		"=HYPERLINK(\"x\")":     "'=HYPERLINK(\"x\")",
		"+1":                    "'+1",
		"-1+1":                  "'-1+1",
		"@SUM(A1)":              "'@SUM(A1)",
		"\t=1":                  "'\t=1",
		"\r=1":                  "'\r=1",
		"a=1":                   "a=1",
		"course-v1:Org+Num+Run": "course-v1:Org+Num+Run",
	} {
		if got := csvsafe.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCell(f *testing.F) {
	for _, s := range []string{"", "=1", "\tx", "plain", "@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := csvsafe.Cell(s)
		if got != s && got != "'"+s {
			t.Fatalf("Cell(%q) = %q: it may only prefix a quote", s, got)
		}
		if got != "" && got[0] != '\'' && (got[0] == '=' || got[0] == '+' || got[0] == '-' || got[0] == '@' || got[0] == '\t' || got[0] == '\r') {
			t.Fatalf("Cell(%q) = %q starts with a character a spreadsheet runs", s, got)
		}
	})
}
