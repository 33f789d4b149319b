package emaillist

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/mail"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// decodeAll decodes an upload as the reader does, with reads of one byte or of any size.
func decodeAll(t *testing.T, in []byte, oneByte bool) (string, Encoding) {
	t.Helper()
	var r io.Reader = bytes.NewReader(in)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	decoded, enc := decodeText(bufio.NewReaderSize(r, 16))
	out, err := io.ReadAll(decoded)
	if err != nil {
		t.Fatalf("decoding %q: %v", in, err)
	}
	return string(out), enc()
}

// FuzzDecodeText checks the encoding sniffing: any bytes decode to UTF-8, whatever the reads;
// UTF-8 passes unchanged; and text written as UTF-16 or Windows-1252 comes back as it was.
func FuzzDecodeText(f *testing.F) {
	for _, s := range []string{
		"Name\tE-Mail\r\nJörg Müller\tjoerg@example.de\r\n",
		"anna@bücher.de, Zoë <zoe@x.com>\n",
		"\uFEFFEmail\nA@x.com\n",
		"plain ascii@x.com\n",
		"€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ",
		strings.Repeat("a@x.com\n", 600) + "café",
	} {
		for shape := range 4 {
			f.Add([]byte(s), uint8(shape))
		}
	}
	f.Add([]byte("\xff\xfea\x00@\x00"), uint8(0))
	f.Add([]byte("a\x00b\x00"), uint8(0))
	f.Add([]byte("\xef\xbb\xbfa\x80"), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, shape uint8) {
		out, enc := decodeAll(t, in, false)
		if !utf8.ValidString(out) {
			t.Fatalf("decoded %q to invalid UTF-8 %q", in, out)
		}
		if again, againEnc := decodeAll(t, in, true); again != out || againEnc != enc {
			t.Fatalf("one-byte reads give %q (%s), whole reads %q (%s)", again, againEnc, out, enc)
		}
		if utf8.Valid(in) && !bytes.HasPrefix(in, utf8BOM) && enc == EncodingUTF8 && out != string(in) {
			t.Fatalf("UTF-8 %q came out as %q", in, out)
		}

		// Text written in each encoding comes back as it was.
		text := strings.ReplaceAll(strings.ToValidUTF8(string(in), ""), "\x00", "")
		var encoded []byte
		var err error
		var want Encoding
		switch shape % 4 {
		case 0:
			return
		case 1:
			encoded, err = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
			want = EncodingUTF16LE
		case 2:
			encoded, err = unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
			want = EncodingUTF16BE
		case 3:
			encoded, err = charmap.Windows1252.NewEncoder().Bytes([]byte(text))
			want = EncodingWindows1252
			if utf8.Valid(encoded) {
				return // the same bytes as UTF-8 (ASCII, or "Ã©"): read as UTF-8, rightly
			}
		}
		if err != nil {
			return // not representable in Windows-1252
		}
		got, gotEnc := decodeAll(t, encoded, false)
		if got != text || gotEnc != want {
			t.Fatalf("%q written as %s reads back as %q (%s)", text, want, got, gotEnc)
		}
	})
}

// FuzzSniffSeparator checks the separator sniffing on tables written with each separator,
// whose later rows may hold the other separators in their cells, and that any lines give one
// of the three.
func FuzzSniffSeparator(f *testing.F) {
	f.Add([]byte("Name|E-Mail\nMüller, Anna|anna@example.de\nLee; Bob|bob@x.com"), uint8(1))
	f.Add([]byte("First|Last|Email\nA|B|a@x.com"), uint8(2))
	f.Add([]byte("a|b\nc,d|e\tf"), uint8(0))
	f.Fuzz(func(t *testing.T, grid []byte, which uint8) {
		if !utf8.Valid(grid) {
			return
		}
		sep := separators[int(which)%len(separators)]
		rows := strings.Split(string(grid), "\n")
		header := strings.Split(rows[0], "|")
		if len(header) < 2 || len(rows) > 50 {
			return
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Comma = rune(sep)
		for i, r := range rows {
			cells := strings.Split(r, "|")
			cells = append(cells, make([]string, len(header))...)[:len(header)]
			for j, c := range cells {
				c = strings.Map(func(r rune) rune {
					if r == '\r' || r == '\n' || r == '"' || r == '\u0085' || r == '\u2028' || r == '\u2029' {
						return -1
					}
					return r
				}, c)
				if i == 0 { // a header holds no separator; a data cell may hold any
					c = strings.Map(func(r rune) rune {
						if r < utf8.RuneSelf && bytes.IndexByte(separators, byte(r)) >= 0 {
							return -1
						}
						return r
					}, c)
				}
				cells[j] = c
			}
			if err := w.Write(cells); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), []byte{'\n'})
		if got := sniffSeparator(lines); got != sep {
			t.Fatalf("sniffed %q, want %q, in %q", got, sep, buf.Bytes())
		}
		if got := sniffSeparator(bytes.Split(grid, []byte{'\n'})); bytes.IndexByte(separators, got) < 0 {
			t.Fatalf("sniffed %q", got)
		}
	})
}

// FuzzAddressList checks the splitting of pasted lists: entries are pieces of the line, and a
// mailbox that net/mail reads gives the address net/mail finds.
func FuzzAddressList(f *testing.F) {
	for _, s := range []string{
		`Müller, Anna <anna@example.de>; "Lee, Bob" <bob@example.com>; 'cid@example.org' <cid@example.org>; plain@example.net`,
		`"Anna Müller" <anna@example.de>, Bob Lee <bob@example.com>, cid@example.org`,
		`ann@x.com bob@y.org	cid@z.net, dee@w.io;eve@v.com`,
		`Bob <bob@x.com> (work)`,
		`"a \"quoted\" name" <q@x.com>`,
		`<bare@x.com>`,
		`Broken <open@x.com`,
		`"unclosed, quote <u@x.com>`,
		"\u00a0ann@x.com\u00a0bob@y.org\u200b",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return // lines come without their ends
		}
		var entries []entry
		if err := splitAddressList(line, func(e entry) error {
			entries = append(entries, entry{raw: bytes.Clone(e.raw), addr: bytes.Clone(e.addr)})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if len(e.raw) == 0 && len(e.addr) > 0 || !bytes.Contains(e.raw, e.addr) || !bytes.Contains(line, e.raw) {
				t.Fatalf("entry %q (address %q) is not a piece of %q", e.raw, e.addr, line)
			}
		}
		if !bytes.ContainsRune(line, '<') {
			return
		}
		m, err := mail.ParseAddress(string(line))
		if err != nil {
			return
		}
		if _, reason := ValidEmail(m.Address); reason != "" {
			return
		}
		var valid []string
		for _, e := range entries {
			if addr, reason := ValidEmail(string(e.addr)); reason == "" {
				valid = append(valid, addr)
			}
		}
		want, _ := ValidEmail(m.Address)
		if len(valid) != 1 || valid[0] != want {
			t.Fatalf("%q: net/mail reads %q, the list %q", line, m.Address, valid)
		}
	})
}

// zipWorkbook is a workbook of one sheet with the given parts, as programs other than Excel
// write them.
func zipWorkbook(t *testing.T, sheetData, sharedStrings []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range map[string][]byte{
		"[Content_Types].xml":        []byte(`<Types><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`),
		"xl/workbook.xml":            []byte(`<workbook xmlns:r="r"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`),
		"xl/_rels/workbook.xml.rels": []byte(`<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>`),
		"xl/worksheets/sheet1.xml":   append(append([]byte(`<worksheet><sheetData>`), sheetData...), `</sheetData></worksheet>`...),
		"xl/sharedStrings.xml":       append(append([]byte(`<sst>`), sharedStrings...), `</sst>`...),
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store}) // no compression: faster fuzzing
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzWorkbookRows checks the worksheet reader on any XML: rows come in rising order, no wider
// than the bound, and the only failure is a damaged workbook.
func FuzzWorkbookRows(f *testing.F) {
	f.Add([]byte(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>E-mail</t></is></c></row><row><c r="B2" t="s"><v>1</v></c></row>`),
		[]byte(`<si><t>Name</t></si><si><r><t>ann@</t></r><r><t>x.com</t></r><rPh><t>x</t></rPh></si>`))
	f.Add([]byte(`<x:row r="3"><x:c r="XFD3"><x:v>1</x:v></x:c><x:c t='b'><x:v>1</x:v></x:c><x:c t="str"><x:v>a &amp;&#x41;&#66; b</x:v></x:c></x:row><x:row r="2"/>`), []byte(`<si/>`))
	f.Add([]byte(`<row><c t="s"><v>99</v></c><c t="s"><v>-1</v></c><c><f>A1</f><v><![CDATA[x@y.z]]></v></c></row>`), []byte(`<si><t>&bad;</t></si>`))
	f.Add([]byte(`<row r="1"><c r="A1"`), []byte(`<si><t>`))
	f.Fuzz(func(t *testing.T, sheetData, sharedStrings []byte) {
		rows, _, err := openWorkbook(zipWorkbook(t, sheetData, sharedStrings), Limits{})
		if err != nil {
			if u, ok := errors.AsType[*UnsupportedFileError](err); !ok || u.Type != FileDamagedWorkbook {
				t.Fatalf("opening: %v", err)
			}
			return
		}
		defer rows.close()
		last := 0
		for {
			r, err := rows.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if u, ok := errors.AsType[*UnsupportedFileError](err); !ok || u.Type != FileDamagedWorkbook {
					t.Fatalf("reading: %v", err)
				}
				return
			}
			if r.line <= last || len(r.cells) > maxColumns || r.blank != blankRow(r.cells) {
				t.Fatalf("row %d after %d with %d cells, blank %v: %q", r.line, last, len(r.cells), r.blank, r.cells)
			}
			last = r.line
		}
	})
}

// FuzzWorkbookRoundTrip checks that cells excelize writes are read back as excelize reads them.
func FuzzWorkbookRoundTrip(f *testing.F) {
	f.Add("E-mail", "anna@bücher.de", "Müller & Söhne <x>", int64(42), true)
	f.Add("", " spaced ", "\"quoted\"", int64(-1), false)
	f.Fuzz(func(t *testing.T, a, b, c string, n int64, boolean bool) {
		book := excelize.NewFile()
		defer book.Close()
		want := [][]any{{a, b, c}, {n, boolean, a}, nil, {c}}
		for i, row := range want {
			if row == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := book.SetSheetRow("Sheet1", cell, &row); err != nil {
				return // excelize refuses some text (too long, say)
			}
		}
		var buf bytes.Buffer
		if err := book.Write(&buf); err != nil {
			t.Fatal(err)
		}
		oracle, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer oracle.Close()
		wantRows, err := oracle.GetRows("Sheet1", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		rows, _, err := openWorkbook(buf.Bytes(), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		defer rows.close()
		var got [][]string
		for {
			r, err := rows.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for len(got) < r.line-1 {
				got = append(got, nil)
			}
			cells := append([]string(nil), r.cells...)
			for len(cells) > 0 && cells[len(cells)-1] == "" {
				cells = cells[:len(cells)-1] // excelize leaves out empty trailing cells
			}
			got = append(got, cells)
		}
		for len(got) > 0 && len(got[len(got)-1]) == 0 {
			got = got[:len(got)-1]
		}
		if len(got) != len(wantRows) {
			t.Fatalf("read %q, excelize reads %q", got, wantRows)
		}
		for i := range got {
			if strings.Join(got[i], "\x00") != strings.Join(wantRows[i], "\x00") {
				t.Fatalf("row %d: read %q, excelize reads %q", i+1, got[i], wantRows[i])
			}
		}
	})
}
