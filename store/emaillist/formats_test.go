package emaillist_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"hash/crc32"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/seatplan/seatplan/store/emaillist"
)

// Exports as admins have them, made here: the bytes Excel, Google and Outlook write.

func utf16Bytes(t testing.TB, s string, order unicode.Endianness, bom unicode.BOMPolicy) []byte {
	t.Helper()
	b, err := unicode.UTF16(order, bom).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func windows1252(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type sheet struct {
	name   string
	hidden bool
	rows   [][]any
}

// workbook builds an .xlsx with excelize, text in the shared-strings table as Excel keeps it.
func workbook(t testing.TB, sheets ...sheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, cells := range s.rows {
			if cells == nil {
				continue // leave the row out, as Excel does for an empty row
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(s.name, cell, &cells); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, s := range sheets {
		if s.hidden {
			if i == 0 {
				f.SetActiveSheet(1)
			}
			if err := f.SetSheetVisible(s.name, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipOf builds a zip archive of the named files.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sheetXML is a workbook whose first sheet part is the given XML, as other programs write it.
func sheetXML(t testing.TB, sheetData, sharedStrings string) []byte {
	t.Helper()
	files := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
		"xl/workbook.xml": `<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<x:sheets><x:sheet name="Liste" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/data.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="strings.xml"/></Relationships>`,
		"xl/worksheets/data.xml": `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>` + sheetData + `</x:sheetData></x:worksheet>`,
		"xl/strings.xml":         `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sharedStrings + `</sst>`,
	}
	return zipOf(t, files)
}

// A Google Contacts export: the address is in "E-mail 1 - Value", beside "E-mail 1 - Type".
const googleContacts = "Name,Given Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value,Phone 1 - Type,Phone 1 - Value\r\n" +
	"Anna Müller,Anna,Müller,* myContacts,* Work,anna@example.de,* Home,anna.privat@example.de,Mobile,+49 170 1234567\r\n" +
	"Bob Lee,Bob,Lee,* myContacts,* Work,bob@example.com,,,Mobile,+1 555 0100\r\n" +
	"Cid,Cid,,* myContacts,* Other,cid@example.org,,,,\r\n"

// An Outlook contacts export: "E-mail Display Name" holds the address in parentheses.
const outlookContacts = `"First Name","Last Name","E-mail Address","E-mail Type","E-mail Display Name"` + "\r\n" +
	`"Anna","Müller","anna@example.de","SMTP","Anna Müller (anna@example.de)"` + "\r\n" +
	`"Bob","Lee","bob@example.com","SMTP","Bob Lee (bob@example.com)"` + "\r\n"

// What copying Outlook's To: line gives.
const outlookTo = `Müller, Anna <anna@example.de>; "Lee, Bob" <bob@example.com>; 'cid@example.org' <cid@example.org>; plain@example.net`

func TestReadEmails_Formats(t *testing.T) {
	t.Parallel()
	type problem = emaillist.Problem
	tests := []struct {
		name    string
		in      []byte
		opt     emaillist.Options
		want    []string
		wantDup int
		wantPrb []problem
		layout  emaillist.Layout // Columns not compared
	}{
		{
			name: "ExcelUnicodeTextIsUTF16LETabs",
			in:   utf16Bytes(t, "Name\tE-Mail\r\nJörg Müller\tjoerg@example.de\r\nZoë\tzoe@bücher.de\r\n", unicode.LittleEndian, unicode.UseBOM),
			want: []string{"joerg@example.de", "zoe@xn--bcher-kva.de"},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF16LE, Separator: '\t',
				Header: 1, Email: 2},
		},
		{
			name:   "UTF16BEWithBOM",
			in:     utf16Bytes(t, "ann@x.com\nbob@y.org\n", unicode.BigEndian, unicode.UseBOM),
			want:   []string{"ann@x.com", "bob@y.org"},
			layout: emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingUTF16BE},
		},
		{
			name:   "UTF16LEWithoutBOM",
			in:     utf16Bytes(t, "ann@x.com\r\nbob@y.org", unicode.LittleEndian, unicode.IgnoreBOM),
			want:   []string{"ann@x.com", "bob@y.org"},
			layout: emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingUTF16LE},
		},
		{
			name:    "GermanExcelCSVIsWindows1252Semicolons",
			in:      windows1252(t, "Name;E-Mail-Adresse;Ort\r\nMüller, Jörg;joerg@example.de;Köln\r\nGöß;jörg@example.de;Graz\r\n"),
			want:    []string{"joerg@example.de"},
			wantPrb: []problem{{Line: 3, Value: "jörg@example.de", Reason: "non-ASCII characters before the @ are not supported"}},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingWindows1252, Separator: ';',
				Header: 1, Email: 2},
		},
		{
			name: "Windows1252FoundLate",
			in:   append([]byte(strings.Repeat("a@x.com\n", 2000)), windows1252(t, "bad café\n")...),
			want: []string{"a@x.com"}, wantDup: 1999,
			wantPrb: []problem{{Line: 2001, Value: "bad", Reason: "missing @"}, {Line: 2001, Value: "café", Reason: "missing @"}},
			layout:  emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingWindows1252},
		},
		{
			name:    "StrayByteInUTF8StaysUTF8",
			in:      []byte("zoë@x.com\nbad\x80\n"),
			wantPrb: []problem{{Line: 1, Value: "zoë@x.com", Reason: "non-ASCII characters before the @ are not supported"}, {Line: 2, Value: "bad€", Reason: "missing @"}},
			layout:  emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingUTF8},
		},
		{
			name: "OldMacLineEnds",
			in:   []byte("Name,Email\rAnn,ann@x.com\rBob,bob\r"),
			want: []string{"ann@x.com"}, wantPrb: []problem{{Line: 3, Value: "bob", Reason: "missing @"}},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ',', Header: 1, Email: 2},
		},
		{
			name: "ExcelSepLine",
			in:   []byte("sep=;\r\nName;Mail\r\nLee, Ann;ann@x.com\r\n;bad\r\n"),
			want: []string{"ann@x.com"}, wantPrb: []problem{{Line: 4, Value: "bad", Reason: "missing @"}},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ';', Header: 2, Email: 2},
		},
		{
			name:   "GoogleContactsReadsTheValueColumn",
			in:     []byte(googleContacts),
			want:   []string{"anna@example.de", "bob@example.com", "cid@example.org"},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ',', Header: 1, Email: 6},
		},
		{
			name:   "OutlookContacts",
			in:     []byte(outlookContacts),
			want:   []string{"anna@example.de", "bob@example.com"},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ',', Header: 1, Email: 3},
		},
		{
			name: "LinkedInNotesAboveTheHeader",
			in: []byte("Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing.\"\n\n" +
				"First Name,Last Name,URL,Email Address,Company\nAnn,Lee,https://www.linkedin.com/in/ann,ann@x.com,Acme\nBob,Roe,https://www.linkedin.com/in/bob,,Acme\n"),
			want:    []string{"ann@x.com"},
			wantPrb: []problem{{Line: 6, Value: "", Reason: "missing email address"}},
			layout:  emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ',', Header: 4, Email: 4},
		},
		{
			name:   "FrenchHeader",
			in:     []byte("Nom;Prénom;Courriel\nDurand;Zoé;zoe@exemple.fr\n"),
			want:   []string{"zoe@exemple.fr"},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ';', Header: 1, Email: 3},
		},
		{
			name:   "SpanishHeaderWithoutHeaderWordInData",
			in:     []byte("Nombre,Correo electrónico\nAna,ana@ejemplo.es\n"),
			want:   []string{"ana@ejemplo.es"},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ',', Header: 1, Email: 2},
		},
		{
			name:   "UnknownHeaderIsFoundByItsAddresses",
			in:     []byte("Teilnehmer;Adresse\nAnn;ann@x.com\nBob;bob@y.org\n"),
			want:   []string{"ann@x.com", "bob@y.org"},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ';', Header: 1, Email: 2},
		},
		{
			name:   "OutlookToLine",
			in:     []byte(outlookTo),
			want:   []string{"anna@example.de", "bob@example.com", "cid@example.org", "plain@example.net"},
			layout: emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingUTF8},
		},
		{
			name:   "GmailPasteOverLines",
			in:     []byte("\"Anna Müller\" <anna@example.de>, Bob Lee <bob@example.com>,\n  cid@example.org, \"Roe, Dee\" <dee@example.net>\n"),
			want:   []string{"anna@example.de", "bob@example.com", "cid@example.org", "dee@example.net"},
			layout: emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingUTF8},
		},
		{
			name:    "MailboxWithBadAddressShowsTheMailbox",
			in:      []byte("Anna <anna@example>; Bob <bob@example.com\n"),
			want:    []string{"bob@example.com"},
			wantPrb: []problem{{Line: 1, Value: "Anna <anna@example>", Reason: "domain has no dot"}},
			layout:  emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingUTF8},
		},
		{
			name: "InvisibleCharactersAreRemovedAndNamed",
			in:   []byte("\u200bann@x.com\u00a0\nbob\u00ad@y.org\ncid@\u200dz\n\u2060dee@w\u200e.io\n"),
			want: []string{"ann@x.com", "bob@y.org"},
			wantPrb: []problem{
				{Line: 3, Value: "cid@[U+200D]z", Reason: "domain has no dot (after removing a zero-width joiner, U+200D)"},
				{Line: 4, Value: "[U+2060]dee@w[U+200E].io", Reason: "contains an invisible character (U+200E) (after removing a word joiner, U+2060)"},
			},
			layout: emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingUTF8},
		},
		{
			name:    "InternationalizedDomainsAreOneAddress",
			in:      []byte("anna@bücher.de\nAnna@XN--BCHER-KVA.de\nanna@BÜCHER.DE\n"),
			want:    []string{"anna@xn--bcher-kva.de"},
			wantDup: 2,
			layout:  emaillist.Layout{Format: emaillist.FormatText, Encoding: emaillist.EncodingUTF8},
		},
		{
			name:   "ColumnByNumber",
			in:     []byte("Work,Home\nann@work.com,ann@home.com\n"),
			opt:    emaillist.Options{Column: "2"},
			want:   []string{"ann@home.com"},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ',', Header: 1, Email: 2},
		},
		{
			name:    "ColumnByHeader",
			in:      []byte(googleContacts),
			opt:     emaillist.Options{Column: "e-mail 2 - value"},
			want:    []string{"anna.privat@example.de"},
			wantPrb: []problem{{Line: 3, Value: "", Reason: "missing email address"}, {Line: 4, Value: "", Reason: "missing email address"}},
			layout:  emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ',', Header: 1, Email: 8},
		},
		{
			name: "WorkbookFirstSheet",
			in: workbook(t, sheet{name: "Teilnehmer", rows: [][]any{
				{"Name", "Work e-mail", "Seats"},
				{"Jörg", "Joerg@Example.de", 1},
				nil,
				{"Zoë", "Zoë <zoe@bücher.de>", 2},
				{"Bad", "bad@", true},
			}}, sheet{name: "Other", rows: [][]any{{"other@x.com"}}}),
			want:    []string{"joerg@example.de", "zoe@xn--bcher-kva.de"},
			wantPrb: []problem{{Line: 5, Value: "bad@", Reason: "nothing after the @"}},
			layout:  emaillist.Layout{Format: emaillist.FormatWorkbook, Sheet: "Teilnehmer", Header: 1, Email: 2},
		},
		{
			name: "WorkbookSkipsAHiddenSheet",
			in: workbook(t, sheet{name: "Hidden", hidden: true, rows: [][]any{{"hidden@x.com"}}},
				sheet{name: "Shown", rows: [][]any{{"shown@x.com"}}}),
			want:   []string{"shown@x.com"},
			layout: emaillist.Layout{Format: emaillist.FormatWorkbook, Sheet: "Shown", Email: 1},
		},
		{
			name: "WorkbookOfAnotherProgram",
			in: sheetXML(t, `<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1" t="inlineStr"><x:is><x:t>E-mail</x:t></x:is></x:c></x:row>`+
				`<x:row><x:c t="s"><x:v>1</x:v></x:c><x:c r="C2" t='s'><x:v>2</x:v></x:c></x:row>`+
				`<x:row r="7"><x:c r="A7" t="str"><x:v>Lee &amp; Co</x:v></x:c><x:c r="C7" t="inlineStr"><x:is><x:r><x:t>lee</x:t></x:r><x:r><x:t xml:space="preserve">@x.com</x:t></x:r></x:is></x:c></x:row>`+
				`<x:row r="8"><x:c r="C8" t="s"><x:v>3</x:v></x:c></x:row><x:row r="9"/>`,
				`<si><t>Name</t></si><si><r><t>Ann</t></r></si><si><t><![CDATA[ann@x.com]]></t></si><si><t>ruby@x.com</t><rPh><t>ルビ</t></rPh></si>`),
			want:   []string{"ann@x.com", "lee@x.com", "ruby@x.com"},
			layout: emaillist.Layout{Format: emaillist.FormatWorkbook, Sheet: "Liste", Header: 1, Email: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := emaillist.ReadEmails(bytes.NewReader(tt.in), tt.opt)
			if err != nil {
				t.Fatalf("ReadEmails: %v", err)
			}
			if !equalStrings(got.Addresses, tt.want) || got.Duplicates != tt.wantDup || !equalProblems(got.Problems, tt.wantPrb) {
				t.Errorf("got %q, %d duplicates, problems %+v\nwant %q, %d, %+v", got.Addresses, got.Duplicates, got.Problems, tt.want, tt.wantDup, tt.wantPrb)
			}
			l := got.Layout
			l.Columns = nil
			if !reflect.DeepEqual(l, tt.layout) {
				t.Errorf("layout = %+v, want %+v", l, tt.layout)
			}
			// However the upload arrives in pieces.
			again, err := emaillist.ReadEmails(iotest.OneByteReader(bytes.NewReader(tt.in)), tt.opt)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("one-byte reads give %+v, %v", again, err)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func equalProblems(a, b []emaillist.Problem) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// The preview offers the columns for a picker: each with its header, an example and counts.
func TestReadEmails_ColumnsForAPicker(t *testing.T) {
	t.Parallel()
	got, err := emaillist.ReadEmails(strings.NewReader(googleContacts), emaillist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cols := got.Layout.Columns
	if len(cols) != 10 {
		t.Fatalf("%d columns, want 10: %+v", len(cols), cols)
	}
	want := map[int]emaillist.Column{
		5: {Number: 5, Header: "E-mail 1 - Type", Example: "* Work", Filled: 3, Addresses: 0},
		6: {Number: 6, Header: "E-mail 1 - Value", Example: "anna@example.de", Filled: 3, Addresses: 3},
		8: {Number: 8, Header: "E-mail 2 - Value", Example: "anna.privat@example.de", Filled: 1, Addresses: 1},
	}
	for n, c := range want {
		if cols[n-1] != c {
			t.Errorf("column %d = %+v, want %+v", n, cols[n-1], c)
		}
	}
}

func TestReadEmails_RefusesWhatIsNotAList(t *testing.T) {
	t.Parallel()
	docx := zipOf(t, map[string]string{
		"[Content_Types].xml": `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"word/document.xml":   `<w:document/>`,
	})
	ods := zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<office:document-content/>"})
	broken := workbook(t, sheet{name: "S", rows: [][]any{{"a@x.com"}}})
	broken = broken[:len(broken)/2] // cut off: the zip's directory is gone
	damaged := zipOf(t, map[string]string{
		"[Content_Types].xml": `<Types><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
		"xl/workbook.xml":     `<workbook><sheets><sheet name="S" r:id="rId1"`,
	})
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"PDF", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj"), &emaillist.UnsupportedFileError{Type: emaillist.FilePDF}},
		{"JPEG", []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF"), &emaillist.UnsupportedFileError{Type: emaillist.FileImage}},
		{"XLS", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), &emaillist.UnsupportedFileError{Type: emaillist.FileXLS}},
		{"Word", docx, &emaillist.UnsupportedFileError{Type: emaillist.FileWord}},
		{"LibreOffice", ods, &emaillist.UnsupportedFileError{Type: emaillist.FileOpenDocument}},
		{"OtherZip", zipOf(t, map[string]string{"photo.txt": "a@x.com"}), &emaillist.UnsupportedFileError{Type: emaillist.FileZip}},
		{"CutOffWorkbook", broken, &emaillist.UnsupportedFileError{Type: emaillist.FileZip}},
		{"DamagedWorkbook", damaged, &emaillist.UnsupportedFileError{Type: emaillist.FileDamagedWorkbook}},
		{"WorkbookWithoutAddresses", workbook(t, sheet{name: "S", rows: [][]any{{"Name", "Phone"}, {"Ann", "555"}}}),
			&emaillist.NoAddressColumnError{Headers: []string{"Name", "Phone"}}},
		{"CSVWithoutAddresses", []byte("Name,City\nAnn,Graz\n"), &emaillist.NoAddressColumnError{Headers: []string{"Name", "City"}}},
		{"NoSuchColumnNumber", []byte("Name,Email\nAnn,ann@x.com\n"), &emaillist.ColumnNotFoundError{Column: "3", Headers: []string{"Name", "Email"}, Columns: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opt := emaillist.Options{}
			if tt.name == "NoSuchColumnNumber" {
				opt.Column = "3"
			}
			got, err := emaillist.ReadEmails(bytes.NewReader(tt.in), opt)
			if !reflect.DeepEqual(err, tt.want) {
				t.Fatalf("err = %#v (%v), want %#v", err, err, tt.want)
			}
			if got.Entries != 0 || got.Addresses != nil {
				t.Errorf("a refused upload still gave %+v", got)
			}
		})
	}
}

func TestReadEmails_ErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]string{
		&emaillist.UnsupportedFileError{Type: emaillist.FileXLS}: "the upload looks like an Excel 97-2003 workbook (.xls) or a password-protected workbook, not a list; " +
			"open it and save it as an Excel Workbook (.xlsx) or as CSV, without a password",
		&emaillist.UnsupportedFileError{Type: emaillist.FilePDF}:               "the upload looks like a PDF document, not a list; export the list as an Excel Workbook (.xlsx) or as CSV",
		&emaillist.NoAddressColumnError{Headers: []string{"Name", "Phone"}}:    `no column holds email addresses; the columns are "Name", "Phone"`,
		&emaillist.NoAddressColumnError{}:                                      "no column holds email addresses",
		&emaillist.ColumnNotFoundError{Column: "Mail", Headers: []string{"A"}}: `the list has no column headed "Mail"; the columns are "A"`,
		&emaillist.ColumnNotFoundError{Column: "4", Columns: 2}:                "the list has no column 4: it has 2",
		&emaillist.TooLargeError{Max: 1000}:                                    "the list is larger than 1000 bytes",
		&emaillist.TooLargeError{Max: 10_000, Unpacked: true}:                  "the workbook unpacks to more than 10000 bytes",
	} {
		if got := err.Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
}

func TestReadEmails_Limits(t *testing.T) {
	t.Parallel()
	book := workbook(t, sheet{name: "S", rows: [][]any{{"Email"}, {"a@x.com"}, {"b@x.com"}, {"c@x.com"}}})
	t.Run("WorkbookEntries", func(t *testing.T) {
		t.Parallel()
		_, err := emaillist.ReadEmails(bytes.NewReader(book), emaillist.Options{Limits: emaillist.Limits{MaxEntries: 2}})
		if !reflect.DeepEqual(err, &emaillist.TooManyError{Max: 2}) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("WorkbookBytes", func(t *testing.T) {
		t.Parallel()
		_, err := emaillist.ReadEmails(bytes.NewReader(book), emaillist.Options{Limits: emaillist.Limits{MaxBytes: int64(len(book) - 1)}})
		if !reflect.DeepEqual(err, &emaillist.TooLargeError{Max: int64(len(book) - 1)}) {
			t.Errorf("err = %v", err)
		}
		if _, err := emaillist.ReadEmails(bytes.NewReader(book), emaillist.Options{Limits: emaillist.Limits{MaxBytes: int64(len(book))}}); err != nil {
			t.Errorf("at the limit: %v", err)
		}
	})
	t.Run("TextBytes", func(t *testing.T) {
		t.Parallel()
		_, err := emaillist.ReadEmails(iotest.HalfReader(strings.NewReader("a@x.com\nb@x.com\n")), emaillist.Options{Limits: emaillist.Limits{MaxBytes: 15}})
		if !reflect.DeepEqual(err, &emaillist.TooLargeError{Max: 15}) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ZipBombByItsSize", func(t *testing.T) {
		t.Parallel()
		// A sheet of 11 MB of blanks packs into a few KB: ten times a 1 MB upload limit is less.
		bomb := sheetXML(t, strings.Repeat(" ", 11<<20)+`<x:row><x:c t="inlineStr"><x:is><x:t>a@x.com</x:t></x:is></x:c></x:row>`, "")
		if len(bomb) > 1<<20 {
			t.Fatalf("the bomb is %d bytes", len(bomb))
		}
		_, err := emaillist.ReadEmails(bytes.NewReader(bomb), emaillist.Options{Limits: emaillist.Limits{MaxBytes: 1 << 20}})
		if !reflect.DeepEqual(err, &emaillist.TooLargeError{Max: 10 << 20, Unpacked: true}) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ZipBombIsNotUnpacked", func(t *testing.T) {
		t.Parallel()
		// A part that declares a terabyte is refused before a byte of it is read: its data here
		// is not even compressed data.
		_, err := emaillist.ReadEmails(bytes.NewReader(declaredHuge(t)), emaillist.Options{})
		var tooLarge *emaillist.TooLargeError
		if !errors.As(err, &tooLarge) || !tooLarge.Unpacked {
			t.Errorf("err = %v", err)
		}
	})
}

// declaredHuge is a workbook whose sheet part declares it unpacks to a terabyte.
func declaredHuge(t *testing.T) []byte {
	t.Helper()
	book, err := zip.NewReader(bytes.NewReader(sheetXML(t, "", "")), int64(len(sheetXML(t, "", ""))))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range book.File {
		if f.Name == "xl/worksheets/data.xml" {
			data := []byte("not deflate data")
			w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
				CompressedSize64: uint64(len(data)), UncompressedSize64: 1 << 40})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write(data)
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadPairs_Formats(t *testing.T) {
	t.Parallel()
	type pair = emaillist.Pair
	tests := []struct {
		name   string
		in     []byte
		opt    emaillist.Options
		want   []pair
		layout emaillist.Layout
	}{
		{
			name: "GermanCSV",
			in:   windows1252(t, "Name;E-Mail;Kurs\r\nMüller, Jörg;joerg@example.de;Grundkurs\r\n"),
			want: []pair{{Index: 0, Line: 2, Email: "joerg@example.de", Course: "Grundkurs"}},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingWindows1252, Separator: ';',
				Header: 1, Email: 2, Course: 3},
		},
		{
			name: "Workbook",
			in: workbook(t, sheet{name: "Enrol", rows: [][]any{
				{"Course ID", "Learner", "Work e-mail"},
				{"cs101", "Ann", "ann@x.com"},
				nil,
				{"cs102", "Bob", "Bob <bob@bücher.de>"},
			}}),
			want:   []pair{{Index: 0, Line: 2, Email: "ann@x.com", Course: "cs101"}, {Index: 1, Line: 4, Email: "bob@xn--bcher-kva.de", Course: "cs102"}},
			layout: emaillist.Layout{Format: emaillist.FormatWorkbook, Sheet: "Enrol", Header: 1, Email: 3, Course: 1},
		},
		{
			name:   "ChosenColumns",
			in:     []byte("a,b,c\nann@x.com,cs101,cs102\n"),
			opt:    emaillist.Options{CourseColumn: "c"},
			want:   []pair{{Index: 0, Line: 2, Email: "ann@x.com", Course: "cs102"}},
			layout: emaillist.Layout{Format: emaillist.FormatCSV, Encoding: emaillist.EncodingUTF8, Separator: ',', Header: 1, Email: 1, Course: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := emaillist.ReadPairs(bytes.NewReader(tt.in), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			l := got.Layout
			l.Columns = nil
			if !reflect.DeepEqual(got.Pairs, tt.want) || len(got.Problems) != 0 || !reflect.DeepEqual(l, tt.layout) {
				t.Errorf("got %+v, %+v, %+v\nwant %+v, %+v", got.Pairs, got.Problems, l, tt.want, tt.layout)
			}
		})
	}
}

// A list longer than the rows sampled to choose columns is read whole, in order, with the
// cells after the sample read by their own goroutine.
func TestReadEmails_LongTablesKeepOrderAndStopEarly(t *testing.T) {
	t.Parallel()
	var csv strings.Builder
	rows := [][]any{{"Name", "Email"}}
	csv.WriteString("Name;Email\n")
	var want []string
	for i := range 5000 {
		addr := "u" + strings.Repeat("x", i%7) + strconv.Itoa(i) + "@x.com"
		want = append(want, addr)
		csv.WriteString("N;" + addr + "\n")
		rows = append(rows, []any{"N", addr})
	}
	for name, in := range map[string][]byte{"CSV": []byte(csv.String()), "Workbook": workbook(t, sheet{name: "S", rows: rows})} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := emaillist.ReadEmails(bytes.NewReader(in), emaillist.Options{})
			if err != nil || !reflect.DeepEqual(got.Addresses, want) {
				t.Fatalf("got %d addresses, %v", len(got.Addresses), err)
			}
			_, err = emaillist.ReadEmails(bytes.NewReader(in), emaillist.Options{Limits: emaillist.Limits{MaxEntries: 3000}})
			if !reflect.DeepEqual(err, &emaillist.TooManyError{Max: 3000}) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestDisplayEmail(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"anna@xn--bcher-kva.de": "anna@bücher.de",
		"anna@example.de":       "anna@example.de",
		"anna@xn--zz.de":        "anna@xn--zz.de", // not valid punycode: shown as stored
		"no-at-sign":            "no-at-sign",
	} {
		if got := emaillist.DisplayEmail(in); got != want {
			t.Errorf("DisplayEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// Requests read lists at the same time; the readers share nothing (run with -race).
func TestReadEmails_ConcurrentReadersShareNothing(t *testing.T) {
	t.Parallel()
	var long strings.Builder
	long.WriteString("Prénom;Courriel\n")
	for i := range 1000 {
		long.WriteString("Zoé;zoe" + strconv.Itoa(i) + "@exemple.fr\n")
	}
	inputs := [][]byte{
		[]byte(long.String()),
		windows1252(t, "Name;E-Mail-Adresse\r\nMüller;m@x.de\r\n"),
		utf16Bytes(t, "Nombre\tCorreo electrónico\r\nAna\tana@bücher.es\r\n", unicode.LittleEndian, unicode.UseBOM),
		workbook(t, sheet{name: "S", rows: [][]any{{"Courriel"}, {"a@x.fr"}}}),
		[]byte(outlookTo),
	}
	want := make([]emaillist.Emails, len(inputs))
	for i, in := range inputs {
		var err error
		if want[i], err = emaillist.ReadEmails(bytes.NewReader(in), emaillist.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 64)
	for g := range 64 {
		go func() {
			i := g % len(inputs)
			got, err := emaillist.ReadEmails(bytes.NewReader(inputs[i]), emaillist.Options{})
			if err == nil && !reflect.DeepEqual(got, want[i]) {
				err = errors.New("input " + strconv.Itoa(i) + " read differently")
			}
			errs <- err
		}()
	}
	for range 64 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
