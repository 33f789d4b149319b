package emaillist_test

import (
	"encoding/csv"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/seatplan/seatplan/store/emaillist"
)

func TestReadPairs(t *testing.T) {
	t.Parallel()
	type (
		pair    = emaillist.Pair
		problem = emaillist.PairProblem
	)
	tests := []struct {
		name         string
		in           string
		wantPairs    []pair
		wantProblems []problem
	}{
		{
			name: "NoHeader",
			in:   "Ann@X.com, course-v1:Org+A+2024 \nbob@y.org,B\n",
			wantPairs: []pair{
				{Index: 0, Line: 1, Email: "ann@x.com", Course: "course-v1:Org+A+2024"},
				{Index: 1, Line: 2, Email: "bob@y.org", Course: "B"},
			},
		},
		{
			name:      "HeaderInEitherOrderWithBOMAndCRLF",
			in:        "\uFEFFCourse,Name,EMAIL\r\nA,Ann,ann@x.com\r\n",
			wantPairs: []pair{{Index: 0, Line: 2, Email: "ann@x.com", Course: "A"}},
		},
		{
			name:      "HeaderNamingOnlyTheCourse",
			in:        "who,course\nann@x.com,A\n",
			wantPairs: []pair{{Index: 0, Line: 2, Email: "ann@x.com", Course: "A"}},
		},
		{
			name:      "SemicolonsAndQuotes",
			in:        "email;course\n\"ann@x.com\";\"A;1\"\n",
			wantPairs: []pair{{Index: 0, Line: 2, Email: "ann@x.com", Course: "A;1"}},
		},
		{
			name: "ProblemsAreReportedAndTheRestKept",
			in: "email,course\n" +
				"ann@x.com,A\n" + // line 2
				"\n" +
				"ann@x.com,B\n" + // line 4: same learner, other course
				"ANN@x.com, A\n" + // line 5: repeats line 2
				"bob@y,A\n" + // line 6
				"cid@z.net,\n" + // line 7
				"cid@z.net\n" + // line 8
				",A\n" + // line 9
				" , \n" + // line 10: blank
				"\"dee\n@w.io\",A\n", // line 11, spanning two lines
			wantPairs: []pair{
				{Index: 0, Line: 2, Email: "ann@x.com", Course: "A"},
				{Index: 1, Line: 4, Email: "ann@x.com", Course: "B"},
			},
			wantProblems: []problem{
				{Index: 2, Line: 5, Email: "ANN@x.com", Course: "A", Reason: "duplicate of line 2"},
				{Index: 3, Line: 6, Email: "bob@y", Course: "A", Reason: "domain has no dot"},
				{Index: 4, Line: 7, Email: "cid@z.net", Course: "", Reason: "missing course"},
				{Index: 5, Line: 8, Email: "cid@z.net", Course: "", Reason: "missing course"},
				{Index: 6, Line: 9, Email: "", Course: "A", Reason: "missing email address"},
				{Index: 7, Line: 11, Email: "dee\n@w.io", Course: "A", Reason: "contains spaces"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pairs, problems, err := pairsOf(strings.NewReader(tt.in), emaillist.Limits{})
			if err != nil {
				t.Fatalf("ReadPairs: %v", err)
			}
			if !reflect.DeepEqual(pairs, tt.wantPairs) {
				t.Errorf("pairs =\n%+v\nwant\n%+v", pairs, tt.wantPairs)
			}
			if !reflect.DeepEqual(problems, tt.wantProblems) {
				t.Errorf("problems =\n%+v\nwant\n%+v", problems, tt.wantProblems)
			}
		})
	}
}

func TestReadPairs_RejectsWholeInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		lim  emaillist.Limits
		want error
	}{
		{"Binary", "a@x.com,A\n\x00", emaillist.Limits{}, &emaillist.NotTextError{Line: 2}},
		{"Zip", "PK\x03\x04\x14\x00", emaillist.Limits{}, &emaillist.UnsupportedFileError{Type: emaillist.FileZip}},
		{"BrokenQuote", "email,course\na@x.com,\"A\"B\n", emaillist.Limits{}, &emaillist.SyntaxError{Line: 2, Err: csv.ErrQuote}},
		{"TooMany", "email,course\na@x.com,A\n\nbad,\nc@x.com,A\n", emaillist.Limits{MaxEntries: 2}, &emaillist.TooManyError{Max: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pairs, problems, err := pairsOf(strings.NewReader(tt.in), tt.lim)
			if !reflect.DeepEqual(err, tt.want) || pairs != nil || problems != nil {
				t.Errorf("got %v, %v, %#v; want only %#v", pairs, problems, err, tt.want)
			}
		})
	}
}

func TestCheckPairs_NamesDuplicatesByIndex(t *testing.T) {
	t.Parallel()
	pairs, problems, err := emaillist.CheckPairs([]emaillist.Pair{
		{Email: "ann@x.com", Course: "A"},
		{Email: "bob@y", Course: "A"},
		{Email: " Ann@x.com ", Course: " A", Index: 99, Line: 99}, // Index and Line are not read
	}, emaillist.Limits{})
	wantPairs := []emaillist.Pair{{Index: 0, Email: "ann@x.com", Course: "A"}}
	wantProblems := []emaillist.PairProblem{
		{Index: 1, Email: "bob@y", Course: "A", Reason: "domain has no dot"},
		{Index: 2, Email: "Ann@x.com", Course: "A", Reason: "duplicate of entry 0"},
	}
	if err != nil || !reflect.DeepEqual(pairs, wantPairs) || !reflect.DeepEqual(problems, wantProblems) {
		t.Errorf("CheckPairs = %+v, %+v, %v; want %+v, %+v", pairs, problems, err, wantPairs, wantProblems)
	}
}

// pairsOf reads pairs with the columns found, as most tests want them.
func pairsOf(r io.Reader, lim emaillist.Limits) ([]emaillist.Pair, []emaillist.PairProblem, error) {
	p, err := emaillist.ReadPairs(r, emaillist.Options{Limits: lim})
	return p.Pairs, p.Problems, err
}
