package emaillist_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/seatplan/seatplan/store/emaillist"
)

func TestReadEmails(t *testing.T) {
	t.Parallel()
	type problem = emaillist.Problem
	tests := []struct {
		name   string
		format emaillist.Format
		in     string
		want   emaillist.Emails
	}{
		{
			name:   "TextOnePerLine",
			format: emaillist.FormatText,
			in:     "ann@x.com\nbob@y.org\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com", "bob@y.org"}, Entries: 2},
		},
		{
			name:   "ByteOrderMarkIsSkipped",
			format: emaillist.FormatText,
			in:     "\uFEFFann@x.com\nbob@y.org",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com", "bob@y.org"}, Entries: 2},
		},
		{
			name:   "ByteOrderMarkBeforeCSVHeader",
			format: emaillist.FormatCSV,
			in:     "\uFEFFEmail,Name\r\nann@x.com,Ann\r\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com"}, Entries: 1},
		},
		{
			name:   "CRLFAndLoneCRCountLines",
			format: emaillist.FormatText,
			in:     "ann@x.com\r\nbad\r\n\r\nbob@y.org\rworse\r",
			want: emaillist.Emails{
				Addresses: []string{"ann@x.com", "bob@y.org"},
				Problems:  []problem{{Line: 2, Value: "bad", Reason: "missing @"}, {Line: 5, Value: "worse", Reason: "missing @"}},
				Entries:   4,
			},
		},
		{
			name:   "BlankAndSpaceOnlyLinesAreNotEntries",
			format: emaillist.FormatText,
			in:     "\n  \n\t\n ann@x.com \n\n   \nnope\n\n",
			want: emaillist.Emails{
				Addresses: []string{"ann@x.com"},
				Problems:  []problem{{Line: 7, Value: "nope", Reason: "missing @"}},
				Entries:   2,
			},
		},
		{
			name:   "DuplicatesIgnoreCase",
			format: emaillist.FormatText,
			in:     "Ann@X.com\nbob@y.org\nANN@x.COM\nann@x.com\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com", "bob@y.org"}, Duplicates: 2, Entries: 4},
		},
		{
			name:   "InvalidRepeatsAreProblemsEachTime",
			format: emaillist.FormatText,
			in:     "bad\nbad\n",
			want: emaillist.Emails{
				Problems: []problem{{Line: 1, Value: "bad", Reason: "missing @"}, {Line: 2, Value: "bad", Reason: "missing @"}},
				Entries:  2,
			},
		},
		{
			name:   "PastedTextWithSeparators",
			format: emaillist.FormatText,
			in:     "ann@x.com, bob@y.org; cid@z.net\tdee@w.io,\n,;\neve@v.com,Fay <fay@u.com> gus@t.org  hal@s.net\n",
			want: emaillist.Emails{
				Addresses: []string{"ann@x.com", "bob@y.org", "cid@z.net", "dee@w.io", "eve@v.com", "fay@u.com", "gus@t.org", "hal@s.net"},
				Entries:   8,
			},
		},
		{
			name:   "CSVFirstColumnWithoutHeader",
			format: emaillist.FormatCSV,
			in:     "ann@x.com,Ann,Lee\nbob@y.org,Bob\ncid@z.net\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com", "bob@y.org", "cid@z.net"}, Entries: 3},
		},
		{
			name:   "CSVHeaderPicksEmailColumn",
			format: emaillist.FormatCSV,
			in:     "Name, E-Mail Address ,Team\nAnn,ann@x.com,red\nBob,,blue\n,,\nCid\n",
			want: emaillist.Emails{
				Addresses: []string{"ann@x.com"},
				Problems: []problem{
					{Line: 3, Value: "", Reason: "missing email address"},
					{Line: 5, Value: "", Reason: "missing email address"},
				},
				Entries: 3,
			},
		},
		{
			name:   "CSVQuotedFields",
			format: emaillist.FormatCSV,
			in:     "email,note\n\"ann@x.com\",\"says \"\"hi\"\", twice\"\n \"bob@y.org\",x\n\"Lee, Cid <cid@z.net>\"\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com", "bob@y.org", "cid@z.net"}, Entries: 3},
		},
		{
			name:   "CSVMultiLineFieldsKeepPhysicalLineNumbers",
			format: emaillist.FormatCSV,
			in:     "note,email\r\n\"two\r\nlines\",ann@x\r\n\"three\nmore\nlines\",bob@y.org\nok,cid@@z.net\n",
			want: emaillist.Emails{
				Addresses: []string{"bob@y.org"},
				Problems: []problem{
					{Line: 2, Value: "ann@x", Reason: "domain has no dot"},
					{Line: 7, Value: "cid@@z.net", Reason: "more than one @"},
				},
				Entries: 3,
			},
		},
		{
			name:   "CSVSemicolonDelimited",
			format: emaillist.FormatCSV,
			in:     "Name;Email\nLee, Ann;ann@x.com\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com"}, Entries: 1},
		},
		{
			name:   "AutoPastedListIsText",
			format: emaillist.FormatAuto,
			in:     "ann@x.com, bob@y.org\ncid@z.net\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com", "bob@y.org", "cid@z.net"}, Entries: 3},
		},
		{
			name:   "AutoSpreadsheetPasteIsCSV",
			format: emaillist.FormatAuto,
			in:     "\n\nName\tEmail\nAnn\tann@x.com\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com"}, Entries: 1},
		},
		{
			name:   "AutoBadFirstLineStillText",
			format: emaillist.FormatAuto,
			in:     "bob\nann@x.com, cid@z.net\n",
			want: emaillist.Emails{
				Addresses: []string{"ann@x.com", "cid@z.net"},
				Problems:  []problem{{Line: 1, Value: "bob", Reason: "missing @"}},
				Entries:   3,
			},
		},
		{
			name:   "AutoPastedColumnWithHeader",
			format: emaillist.FormatAuto,
			in:     "E-mail\nann@x.com\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com"}, Entries: 1},
		},
		{
			name:   "AutoQuotesMeanCSV",
			format: emaillist.FormatAuto,
			in:     "\"ann@x.com\"\n\"bob@y.org\"\n",
			want:   emaillist.Emails{Addresses: []string{"ann@x.com", "bob@y.org"}, Entries: 2},
		},
		{
			name:   "LongProblemValueIsCut",
			format: emaillist.FormatText,
			in:     strings.Repeat("é", 200) + "\n",
			want: emaillist.Emails{
				Problems: []problem{{Line: 1, Value: strings.Repeat("é", 60) + "…", Reason: "missing @"}},
				Entries:  1,
			},
		},
		{
			name: "Empty",
			in:   "",
			want: emaillist.Emails{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := emaillist.ReadEmails(strings.NewReader(tt.in), emaillist.Options{Format: tt.format})
			if err != nil {
				t.Fatalf("ReadEmails: %v", err)
			}
			if !equalEmails(got, tt.want) {
				t.Errorf("ReadEmails =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// equalEmails compares ignoring nil versus empty slices.
func equalEmails(a, b emaillist.Emails) bool {
	return len(a.Addresses) == len(b.Addresses) && (len(a.Addresses) == 0 || reflect.DeepEqual(a.Addresses, b.Addresses)) &&
		len(a.Problems) == len(b.Problems) && (len(a.Problems) == 0 || reflect.DeepEqual(a.Problems, b.Problems)) &&
		a.Duplicates == b.Duplicates && a.Entries == b.Entries
}

func TestReadEmails_LinesLongerThanTheReadBuffer(t *testing.T) {
	t.Parallel()
	var in strings.Builder
	var want []string
	for i := range 20_000 { // one pasted line of about 300 KB
		addr := fmt.Sprintf("user%05d@example.com", i)
		want = append(want, addr)
		in.WriteString(addr + ", ")
	}
	in.WriteString("\n" + strings.Repeat(" ", 100_000) + "last@example.com" + strings.Repeat(" ", 100_000) + "\n")
	in.WriteString(strings.Repeat("x", 200_000) + "@example.com\n")
	want = append(want, "last@example.com")

	got, err := emaillist.ReadEmails(strings.NewReader(in.String()), emaillist.Options{Format: emaillist.FormatText})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Addresses, want) {
		t.Errorf("got %d addresses, want %d", len(got.Addresses), len(want))
	}
	if len(got.Problems) != 1 || got.Problems[0].Line != 3 || got.Problems[0].Reason != "longer than 254 characters" {
		t.Errorf("problems = %+v, want the 200 KB entry on line 3 as too long", got.Problems)
	}
}

func TestReadEmails_RejectsWholeInput(t *testing.T) {
	t.Parallel()
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	tests := []struct {
		name   string
		format emaillist.Format
		in     string
		lim    emaillist.Limits
		want   error
	}{
		{"PNG", emaillist.FormatAuto, png, emaillist.Limits{}, &emaillist.UnsupportedFileError{Type: emaillist.FileImage}},
		{"PNGCalledCSV", emaillist.FormatCSV, png, emaillist.Limits{}, &emaillist.UnsupportedFileError{Type: emaillist.FileImage}},
		{"NULOnLine3", emaillist.FormatText, "a@x.com\r\nb@x.com\r\nc@\x00x.com\n", emaillist.Limits{}, &emaillist.NotTextError{Line: 3}},
		{"NULInUTF16", emaillist.FormatText, "\xff\xfea\x00@\x00\n\x00\x00\x00", emaillist.Limits{}, &emaillist.NotTextError{Line: 2}},
		{"UnclosedQuoteNamesWhereItOpens", emaillist.FormatCSV, "a@x.com\n\"b@x.com\nc@x.com\nd@x.com\n", emaillist.Limits{},
			&emaillist.SyntaxError{Line: 2, Err: csv.ErrQuote}},
		{"BareQuote", emaillist.FormatCSV, "a@x.com\nb\"@x.com\n", emaillist.Limits{}, &emaillist.SyntaxError{Line: 2, Err: csv.ErrBareQuote}},
		{"TooManyText", emaillist.FormatText, "a@x.com\nbad\n\na@x.com\nd@x.com\n", emaillist.Limits{MaxEntries: 3}, &emaillist.TooManyError{Max: 3}},
		{"TooManyCSV", emaillist.FormatCSV, "email\na@x.com\nb@x.com\n", emaillist.Limits{MaxEntries: 1}, &emaillist.TooManyError{Max: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := emaillist.ReadEmails(strings.NewReader(tt.in), emaillist.Options{Format: tt.format, Limits: tt.lim})
			if !reflect.DeepEqual(err, tt.want) {
				t.Fatalf("err = %#v (%v), want %#v", err, err, tt.want)
			}
			if got.Entries != 0 || got.Addresses != nil || got.Problems != nil {
				t.Errorf("a rejected input still gave %+v", got)
			}
		})
	}
}

func TestReadEmails_AtTheLimitIsFine(t *testing.T) {
	t.Parallel()
	got, err := emaillist.ReadEmails(strings.NewReader("a@x.com\n\nb@x.com\nbad\n\n"), emaillist.Options{Format: emaillist.FormatText, Limits: emaillist.Limits{MaxEntries: 3}})
	if err != nil || got.Entries != 3 {
		t.Errorf("got %+v, %v; want 3 entries", got, err)
	}
}

func TestErrorMessagesNameTheLine(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]string{
		&emaillist.NotTextError{Line: 4}:                       "the upload is not a text or CSV file (line 4)",
		&emaillist.SyntaxError{Line: 7, Err: csv.ErrQuote}:     "CSV syntax error on line 7: a quoted field is not closed, or has text after its closing quote",
		&emaillist.SyntaxError{Line: 2, Err: csv.ErrBareQuote}: `CSV syntax error on line 2: a field has a quote (") but does not start with one; quote the whole field and double the inner quote ("")`,
		&emaillist.TooManyError{Max: 100_000}:                  "the list has more than 100000 entries",
	} {
		if got := err.Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
}

func TestReadEmails_ReaderErrorPassesThrough(t *testing.T) {
	t.Parallel()
	tooBig := errors.New("request body too large")
	for _, f := range []emaillist.Format{emaillist.FormatAuto, emaillist.FormatText, emaillist.FormatCSV} {
		// Cut inside "é": the reader's error, not a UTF-8 complaint, is what the caller must see.
		r := io.MultiReader(strings.NewReader("a@x.com\nb\xc3"), iotest.ErrReader(tooBig))
		if _, err := emaillist.ReadEmails(r, emaillist.Options{Format: f}); !errors.Is(err, tooBig) {
			t.Errorf("format %d: err = %v, want %v", f, err, tooBig)
		}
	}
}

// Uploads arrive in pieces of any size; a CRLF or a UTF-8 sequence split between reads must not
// change the outcome.
func TestReadEmails_ReadSizeDoesNotMatter(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"\uFEFFann@x.com\r\nbob@y.org\r\n\r\njörg@z.de\r\nbad\r",
		"email,name\r\n\"ann@x.com\",\"Ann\r\nLee\"\rbob@y.org,Bøb\n",
		"a@x.com\n\xe2\x82\xacb@x.com\n\xe2\x82",
		"a@x.com\n\"unclosed\n\n",
	} {
		for _, f := range []emaillist.Format{emaillist.FormatText, emaillist.FormatCSV} {
			want, wantErr := emaillist.ReadEmails(strings.NewReader(in), emaillist.Options{Format: f})
			for name, r := range map[string]io.Reader{
				"OneByte": iotest.OneByteReader(strings.NewReader(in)),
				"Half":    iotest.HalfReader(strings.NewReader(in)),
			} {
				got, err := emaillist.ReadEmails(r, emaillist.Options{Format: f})
				if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(err, wantErr) {
					t.Errorf("%s reads of %q as %d: got %+v, %v; want %+v, %v", name, in, f, got, err, want, wantErr)
				}
			}
		}
	}
}

func TestCheckEmails(t *testing.T) {
	t.Parallel()
	got, err := emaillist.CheckEmails([]string{" Ann@X.com", "", "ann@x.com", "bob@y"}, emaillist.Limits{})
	want := emaillist.Emails{
		Addresses:  []string{"ann@x.com"},
		Duplicates: 1,
		Problems: []emaillist.Problem{
			{Line: 2, Value: "", Reason: "missing email address"},
			{Line: 4, Value: "bob@y", Reason: "domain has no dot"},
		},
		Entries: 4,
	}
	if err != nil || !equalEmails(got, want) {
		t.Errorf("CheckEmails = %+v, %v; want %+v", got, err, want)
	}
	if _, err := emaillist.CheckEmails([]string{"a@x.com", "b@x.com"}, emaillist.Limits{MaxEntries: 1}); !reflect.DeepEqual(err, &emaillist.TooManyError{Max: 1}) {
		t.Errorf("over the limit: err = %v", err)
	}
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		filename, contentType string
		want                  emaillist.Format
	}{
		{"people.csv", "", emaillist.FormatCSV},
		{"People.CSV", "text/plain", emaillist.FormatCSV},
		{"export.tsv", "", emaillist.FormatCSV},
		{"list.txt", "text/csv", emaillist.FormatAuto}, // Excel's "Unicode Text" is a table
		{"book.xlsx", "", emaillist.FormatAuto},
		{"", "text/csv; charset=utf-8", emaillist.FormatCSV},
		{"list", "application/vnd.ms-excel", emaillist.FormatCSV}, // what browsers on Windows send for .csv
		{"", "text/plain; charset=utf-8", emaillist.FormatAuto},
		{"", "TEXT/PLAIN", emaillist.FormatAuto},
		{"scan.png", "image/png", emaillist.FormatAuto},
		{"", "", emaillist.FormatAuto},
		{"", "not a media type", emaillist.FormatAuto},
	}
	for _, tt := range tests {
		if got := emaillist.DetectFormat(tt.filename, tt.contentType); got != tt.want {
			t.Errorf("DetectFormat(%q, %q) = %d, want %d", tt.filename, tt.contentType, got, tt.want)
		}
	}
}

// Not parallel: it measures the heap.
func TestReadEmails_KeptAddressesDoNotPinTheirRows(t *testing.T) {
	var in bytes.Buffer
	for i := range 1000 { // each row carries a 10 KB note
		fmt.Fprintf(&in, "u%d@x.com,\"%s\"\n", i, strings.Repeat("n", 10_000))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := emaillist.ReadEmails(bytes.NewReader(in.Bytes()), emaillist.Options{Format: emaillist.FormatCSV})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if err != nil || len(got.Addresses) != 1000 {
		t.Fatalf("got %d addresses, %v", len(got.Addresses), err)
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
		t.Errorf("the result of a 10 MB upload holds %d KB", grown>>10)
	}
	runtime.KeepAlive(&in)
	runtime.KeepAlive(got)
}
