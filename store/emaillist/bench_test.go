package emaillist_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/seatplan/seatplan/store/emaillist"
)

// BenchmarkParseEmails100k parses a 100,000-address upload, with some upper case and duplicates
// as real lists have, as a text file and as a CSV with a name column.
func BenchmarkParseEmails100k(b *testing.B) {
	const n = 100_000
	var text, csv bytes.Buffer
	csv.WriteString("Name,Email\r\n")
	for i := range n {
		addr := fmt.Sprintf("Learner.%06d@Example.com", i%(n-1000)) // the last 1,000 repeat
		fmt.Fprintf(&text, "%s\r\n", addr)
		fmt.Fprintf(&csv, "\"Learner %d\",%s\r\n", i, addr)
	}
	for _, bc := range []struct {
		name   string
		format emaillist.Format
		in     []byte
	}{
		{"Text", emaillist.FormatText, text.Bytes()},
		{"CSV", emaillist.FormatCSV, csv.Bytes()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				got, err := emaillist.ParseEmails(bytes.NewReader(bc.in), bc.format, emaillist.Limits{})
				if err != nil || got.Entries != n || got.Duplicates != 1000 {
					b.Fatalf("got %d entries, %d duplicates, %v", got.Entries, got.Duplicates, err)
				}
			}
		})
	}
}
