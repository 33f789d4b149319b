package emaillist_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/seatplan/seatplan/store/emaillist"
)

// benchList is the list the reading benchmarks share: 100,000 addresses, with some upper case
// and duplicates as real lists have, and a name for each as tables carry.
func benchList(i int) (name, addr string) {
	const n = 100_000
	return fmt.Sprintf("Müller %d", i), fmt.Sprintf("Learner.%06d@Example.com", i%(n-1000)) // the last 1,000 repeat
}

// BenchmarkReadEmails100k reads the same 100,000-address list as UTF-8 text (the baseline), as
// a UTF-8 CSV with a name column, as a Windows-1252 CSV with semicolons (Excel in a German or
// French locale), and as an .xlsx workbook. ExcelizeRows reads the workbook's rows with
// excelize's own streaming reader instead, for comparison.
func BenchmarkReadEmails100k(b *testing.B) {
	const n = 100_000
	var text, csv, latin bytes.Buffer
	csv.WriteString("Name,Email\r\n")
	latin.WriteString("Name;E-Mail\r\n")
	for i := range n {
		name, addr := benchList(i)
		fmt.Fprintf(&text, "%s\r\n", addr)
		fmt.Fprintf(&csv, "\"%s\",%s\r\n", name, addr)
		fmt.Fprintf(&latin, "%s;%s\r\n", name, addr)
	}
	cp1252, err := charmap.Windows1252.NewEncoder().Bytes(latin.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	xlsx := benchWorkbook(b, n)
	for _, bc := range []struct {
		name string
		in   []byte
		want emaillist.Layout
	}{
		{"Text", text.Bytes(), emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingUTF8}},
		{"CSV", csv.Bytes(), emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ','}},
		{"Windows1252Semicolons", cp1252, emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingWindows1252, Separator: ';'}},
		{"XLSX", xlsx, emaillist.Layout{Format: emaillist.FormatWorkbook, Sheet: "Sheet1"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				got, err := emaillist.ReadEmails(bytes.NewReader(bc.in), emaillist.Options{})
				if err != nil || got.Entries != n || got.Duplicates != 1000 {
					b.Fatalf("got %d entries, %d duplicates, %v", got.Entries, got.Duplicates, err)
				}
				if l := got.Layout; l.Format != bc.want.Format || l.Encoding != bc.want.Encoding || l.Separator != bc.want.Separator || l.Sheet != bc.want.Sheet {
					b.Fatalf("layout %+v", l)
				}
			}
		})
	}
	b.Run("ExcelizeRows", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(xlsx)))
		for b.Loop() {
			f, err := excelize.OpenReader(bytes.NewReader(xlsx))
			if err != nil {
				b.Fatal(err)
			}
			rows, err := f.Rows(f.GetSheetName(0))
			if err != nil {
				b.Fatal(err)
			}
			var addrs []string
			for rows.Next() {
				cols, err := rows.Columns()
				if err != nil {
					b.Fatal(err)
				}
				if len(cols) > 1 {
					addrs = append(addrs, cols[1])
				}
			}
			if _, err := emaillist.CheckEmails(addrs[1:], emaillist.Limits{}); err != nil || len(addrs) != n+1 {
				b.Fatalf("%d rows, %v", len(addrs), err)
			}
		}
	})
}

// benchWorkbook is the list as Excel saves it: a header row, then a name and an address per
// row, the text in the shared-strings table.
func benchWorkbook(b *testing.B, n int) []byte {
	f := excelize.NewFile()
	defer f.Close()
	rows := make([][]any, 0, n+1)
	rows = append(rows, []any{"Name", "E-mail"})
	for i := range n {
		name, addr := benchList(i)
		rows = append(rows, []any{name, addr})
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			b.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
