package emaillist

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/orisano/gosax"
)

// An .xlsx workbook is a zip of XML parts: [Content_Types].xml names the workbook part, the
// workbook lists its sheets in tab order, its relationships name each sheet's part and the
// shared-strings table that text cells point into. Worksheets and shared strings are read with
// a streaming tokenizer, as they hold the list; the small parts with encoding/xml.

const (
	// workbookExpansion bounds what a workbook may unpack to, as a multiple of the upload
	// limit: the XML of a list compresses about tenfold, a zip bomb a thousandfold.
	workbookExpansion = 10
	// maxUnpacked bounds it when there is no upload limit.
	maxUnpacked = 1 << 30
	// maxColumns bounds the columns of a worksheet read; cells beyond are ignored, so that a
	// cell placed far to the right cannot make every row wide.
	maxColumns    = 1024
	xmlBufferSize = 64 << 10
)

// Content types of the workbook part (.xlsx, .xlsm, .xltx, .xltm), and of parts that tell other
// packages apart.
var (
	workbookContentTypes = []string{
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
		"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
		"application/vnd.ms-excel.template.macroEnabled.main+xml",
	}
	otherContentTypes = []struct {
		contains string
		t        FileType
	}{
		{"ms-excel.sheet.binary", FileXLSB},
		{"wordprocessingml", FileWord},
		{"ms-word", FileWord},
		{"presentationml", FilePowerPoint},
		{"ms-powerpoint", FilePowerPoint},
	}
)

type workbook struct {
	files    map[string]*zip.File // by lower-case name, as parts are named case-insensitively
	limit    int64                // what the parts read may unpack to, together
	unpacked int64
}

// openWorkbook opens data, a zip archive, as a workbook and returns the rows of its first
// visible worksheet and that sheet's name.
func openWorkbook(data []byte, lim Limits) (*sheetRows, string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, "", &UnsupportedFileError{Type: FileZip}
	}
	w := &workbook{files: make(map[string]*zip.File, len(zr.File)), limit: maxUnpacked}
	if lim.MaxBytes > 0 {
		w.limit = min(w.limit, workbookExpansion*lim.MaxBytes)
	}
	for _, f := range zr.File {
		w.files[partKey(f.Name)] = f
	}
	main, err := w.mainPart()
	if err != nil {
		return nil, "", err
	}
	var book struct {
		Sheets []struct {
			Name  string `xml:"name,attr"`
			State string `xml:"state,attr"`
			RID   string `xml:"id,attr"` // r:id, in a namespace that strict OOXML names differently
		} `xml:"sheets>sheet"`
	}
	if err := w.decode(main, &book); err != nil {
		return nil, "", err
	}
	rels, err := w.relationships(main)
	if err != nil {
		return nil, "", err
	}
	rows := &sheetRows{}
	if target, ok := rels.find("/sharedStrings"); ok {
		if rows.sst, err = w.sharedStrings(target); err != nil {
			return nil, "", err
		}
	}
	sheet, part := "", ""
	for _, s := range book.Sheets {
		target, ok := rels.byID(s.RID, "/worksheet")
		if !ok {
			continue // a chart sheet, or a dangling reference
		}
		if visible := s.State == "" || s.State == "visible"; part == "" || visible {
			sheet, part = s.Name, target
			if visible {
				break
			}
		}
	}
	if part == "" {
		return rows, "", nil // no worksheet: no rows
	}
	rc, err := w.open(part)
	if err != nil {
		return nil, "", err
	}
	rows.part, rows.x = rc, gosax.NewReaderSize(rc, xmlBufferSize)
	return rows, sheet, nil
}

// mainPart finds the workbook part, or says what the archive is instead.
func (w *workbook) mainPart() (string, error) {
	var types struct {
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	if _, ok := w.files[partKey("[Content_Types].xml")]; ok {
		if err := w.decode("[Content_Types].xml", &types); err != nil {
			return "", err
		}
	}
	for _, o := range types.Overrides {
		for _, ct := range workbookContentTypes {
			if strings.EqualFold(o.ContentType, ct) {
				return o.PartName, nil
			}
		}
	}
	for _, o := range types.Overrides {
		for _, other := range otherContentTypes {
			if strings.Contains(strings.ToLower(o.ContentType), strings.ToLower(other.contains)) {
				return "", &UnsupportedFileError{Type: other.t}
			}
		}
	}
	switch {
	case w.files["xl/workbook.xml"] != nil:
		return "xl/workbook.xml", nil
	case w.files["mimetype"] != nil || w.files["content.xml"] != nil:
		return "", &UnsupportedFileError{Type: FileOpenDocument}
	case w.files["index/document.iwa"] != nil || w.files["index.zip"] != nil:
		return "", &UnsupportedFileError{Type: FileNumbers}
	}
	return "", &UnsupportedFileError{Type: FileZip}
}

// open opens a part once its declared size fits what is left of the bound; archive/zip fails a
// part that unpacks to more than it declares.
func (w *workbook) open(name string) (io.ReadCloser, error) {
	f := w.files[partKey(name)]
	if f == nil {
		return nil, &UnsupportedFileError{Type: FileDamagedWorkbook}
	}
	if f.UncompressedSize64 > math.MaxInt64 || int64(f.UncompressedSize64) > w.limit-w.unpacked {
		return nil, &TooLargeError{Max: w.limit, Unpacked: true}
	}
	w.unpacked += int64(f.UncompressedSize64)
	rc, err := f.Open()
	if err != nil {
		return nil, &UnsupportedFileError{Type: FileDamagedWorkbook}
	}
	return rc, nil
}

func (w *workbook) decode(name string, v any) error {
	rc, err := w.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return &UnsupportedFileError{Type: FileDamagedWorkbook}
	}
	return nil
}

type relationships struct {
	base string // the folder of the part they belong to, which targets are relative to
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
		Mode   string `xml:"TargetMode,attr"`
	} `xml:"Relationship"`
}

func (w *workbook) relationships(part string) (relationships, error) {
	rels := relationships{base: path.Dir(partKey(part))}
	name := path.Join(rels.base, "_rels", path.Base(partKey(part))+".rels")
	if w.files[name] == nil {
		return rels, nil
	}
	return rels, w.decode(name, &rels)
}

// byID is the part that relationship id names, when it is of the type whose name ends in kind.
func (r relationships) byID(id, kind string) (string, bool) {
	for _, rel := range r.Rels {
		if rel.ID == id && strings.HasSuffix(rel.Type, kind) && rel.Mode != "External" {
			return r.resolve(rel.Target), true
		}
	}
	return "", false
}

// find is the part of the first relationship of the type whose name ends in kind.
func (r relationships) find(kind string) (string, bool) {
	for _, rel := range r.Rels {
		if strings.HasSuffix(rel.Type, kind) && rel.Mode != "External" {
			return r.resolve(rel.Target), true
		}
	}
	return "", false
}

func (r relationships) resolve(target string) string {
	target = strings.ReplaceAll(target, "\\", "/")
	if strings.HasPrefix(target, "/") {
		return partKey(target)
	}
	return partKey(path.Join(r.base, target))
}

func partKey(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, "\\", "/"), "/"))
}

// sharedStrings reads the table that text cells point into: each <si> is the text of its <t>
// elements, directly or in rich-text runs, leaving out phonetic guides (<rPh>).
func (w *workbook) sharedStrings(part string) (stringTable, error) {
	rc, err := w.open(part)
	if err != nil {
		return stringTable{}, err
	}
	defer rc.Close()
	size := int(w.files[partKey(part)].UncompressedSize64) // bounded by open
	x := gosax.NewReaderSize(rc, xmlBufferSize)
	var (
		st          = stringTable{text: make([]byte, 0, size/2)} // the text is about half the XML
		inItem, inT bool
		phonetic    int
	)
	for {
		ev, err := x.Event()
		if err != nil {
			return stringTable{}, &UnsupportedFileError{Type: FileDamagedWorkbook}
		}
		switch ev.Type() {
		case gosax.EventEOF:
			return st, nil
		case gosax.EventStart:
			empty := selfClosing(ev.Bytes)
			switch string(localName(ev.Bytes)) {
			case "si":
				if empty {
					st.ends = append(st.ends, len(st.text))
				}
				inItem = !empty
			case "sst":
				// The count Excel writes saves growing the table; the part's size bounds it.
				if n, err := strconv.Atoi(string(attr(ev.Bytes, "uniqueCount"))); err == nil && n > 0 {
					st.ends = make([]int, 0, min(n, size/len("<si><t></t></si>")))
				}
			case "rPh":
				if !empty {
					phonetic++
				}
			case "t":
				inT = inItem && phonetic == 0 && !empty
			}
		case gosax.EventEnd:
			switch string(localName(ev.Bytes)) {
			case "si":
				if inItem {
					st.ends = append(st.ends, len(st.text))
				}
				inItem = false
			case "rPh":
				phonetic = max(0, phonetic-1)
			case "t":
				inT = false
			}
		case gosax.EventText, gosax.EventCData:
			if inT {
				st.text = appendText(st.text, ev)
			}
		}
	}
}

// stringTable holds a workbook's shared strings end to end, so that only the cells a list
// uses become strings of their own.
type stringTable struct {
	text []byte
	ends []int // where each string ends in text
}

// at is string i, or nil when there is none.
func (st stringTable) at(i int) []byte {
	if i < 0 || i >= len(st.ends) {
		return nil
	}
	start := 0
	if i > 0 {
		start = st.ends[i-1]
	}
	return st.text[start:st.ends[i]]
}

// sheetRows reads a worksheet's <sheetData> row by row.
type sheetRows struct {
	part  io.Closer
	x     *gosax.Reader // nil for a workbook without a worksheet
	sst   stringTable
	keep  []bool // the columns whose cells become strings; nil for all
	row   int    // number of the last row read
	cells []string
	text  []byte
}

// cellShared is the type (the t attribute) of a cell whose <v> is an index into the shared
// strings; every other cell's text is what it holds, in <v> or in <is><t>.
const cellShared = "s"

// close releases the worksheet's decompressor.
func (s *sheetRows) close() {
	if s.part != nil {
		_ = s.part.Close() // reading is over; a zip part has nothing to flush
	}
}

func (s *sheetRows) keepOnly(cols []int) {
	s.keep = make([]bool, maxColumns)
	for _, c := range cols {
		if c >= 0 && c < maxColumns {
			s.keep[c] = true
		}
	}
}

func (s *sheetRows) next() (row, error) {
	if s.x == nil {
		return row{}, io.EOF
	}
	for {
		ev, err := s.x.Event()
		if err != nil {
			return row{}, &UnsupportedFileError{Type: FileDamagedWorkbook}
		}
		switch ev.Type() {
		case gosax.EventEOF:
			return row{}, io.EOF
		case gosax.EventStart:
			if string(localName(ev.Bytes)) != "row" {
				continue
			}
			// Rows may leave out their number; a number that does not move on is not believed.
			s.row++
			if n, err := strconv.Atoi(string(attr(ev.Bytes, "r"))); err == nil && n > s.row {
				s.row = n
			}
			s.cells = s.cells[:0]
			if selfClosing(ev.Bytes) {
				return row{line: s.row, blank: true}, nil
			}
			filled, err := s.readCells()
			return row{line: s.row, cells: s.cells, blank: !filled}, err
		}
	}
}

// readCells reads the cells of the row just started, up to its end, and reports whether one
// of them is not blank.
func (s *sheetRows) readCells() (filled bool, err error) {
	col := -1
	inCell, inValue, shared, phonetic := false, false, false, 0
	for {
		ev, err := s.x.Event()
		if err != nil {
			return false, &UnsupportedFileError{Type: FileDamagedWorkbook}
		}
		switch ev.Type() {
		case gosax.EventEOF:
			return filled, nil
		case gosax.EventStart:
			empty := selfClosing(ev.Bytes)
			switch string(localName(ev.Bytes)) {
			case "c":
				ref, t := cellAttrs(ev.Bytes)
				col, shared = cellColumn(ref, col), string(t) == cellShared
				inCell, s.text = !empty, s.text[:0]
			case "v", "t": // <v>value</v>, or <is><t>text</t></is> and its rich-text runs
				inValue = inCell && phonetic == 0 && !empty
			case "rPh":
				if !empty {
					phonetic++
				}
			}
		case gosax.EventEnd:
			switch string(localName(ev.Bytes)) {
			case "row":
				return filled, nil
			case "c":
				if inCell && col < maxColumns {
					value := s.value(shared)
					filled = filled || len(bytes.TrimSpace(value)) > 0
					if s.keep == nil || s.keep[col] {
						s.set(col, string(value))
					}
				}
				inCell = false
			case "v", "t":
				inValue = false
			case "rPh":
				phonetic = max(0, phonetic-1)
			}
		case gosax.EventText, gosax.EventCData:
			if inValue {
				s.text = appendText(s.text, ev)
			}
		}
	}
}

// value is the text of the cell just read, valid until the next cell.
func (s *sheetRows) value(shared bool) []byte {
	if !shared {
		return s.text
	}
	i, err := strconv.Atoi(string(bytes.TrimSpace(s.text)))
	if err != nil {
		return nil
	}
	return s.sst.at(i)
}

func (s *sheetRows) set(col int, value string) {
	for len(s.cells) <= col {
		s.cells = append(s.cells, "")
	}
	s.cells[col] = value
}

// cellColumn is the 0-based column of a cell reference such as "B7"; a cell without one, or
// with one that does not move on, follows the previous cell.
func cellColumn(ref []byte, previous int) int {
	col := 0
	i := 0
	for ; i < len(ref) && i < 3; i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
	}
	if i == 0 || col-1 <= previous {
		return previous + 1
	}
	return col - 1
}

// appendText appends the text of a text or CDATA event to b, with XML's escapes undone.
func appendText(b []byte, ev gosax.Event) []byte {
	if ev.Type() == gosax.EventCData {
		raw := bytes.TrimSuffix(bytes.TrimPrefix(ev.Bytes, []byte("<![CDATA[")), []byte("]]>"))
		return append(b, raw...)
	}
	n := len(b)
	b = append(b, ev.Bytes...)
	unescaped, err := gosax.Unescape(b[n:])
	if err != nil {
		return b // a broken escape is kept as written
	}
	return b[:n+len(unescaped)]
}

// localName is the name of a start or end tag without its namespace prefix: "x:c" is "c".
func localName(tag []byte) []byte {
	start := 0
	for start < len(tag) && (tag[start] == '<' || tag[start] == '/') {
		start++
	}
	end := start
	for end < len(tag) {
		switch tag[end] {
		case ' ', '\t', '\r', '\n', '/', '>':
			return tag[start:end]
		case ':':
			start = end + 1
		}
		end++
	}
	return tag[start:end]
}

func selfClosing(tag []byte) bool {
	return bytes.HasSuffix(tag, []byte("/>"))
}

// attr is the value of the attribute named key in a start tag, or nil.
func attr(tag []byte, key string) []byte {
	var value []byte
	eachAttr(tag, func(name, v []byte) {
		if value == nil && string(name) == key {
			value = v
		}
	})
	return value
}

// cellAttrs are the reference (r) and type (t) of a <c> start tag, in one pass: a worksheet
// has a tag like it for every cell.
func cellAttrs(tag []byte) (ref, typ []byte) {
	eachAttr(tag, func(name, v []byte) {
		switch string(name) {
		case "r":
			ref = v
		case "t":
			typ = v
		}
	})
	return ref, typ
}

// eachAttr calls fn with the name and raw value of each attribute of a start tag.
func eachAttr(tag []byte, fn func(name, value []byte)) {
	i := 0
	for i < len(tag) && !isXMLSpace(tag[i]) {
		i++
	}
	for i < len(tag) {
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		start := i
		for i < len(tag) && tag[i] != '=' && !isXMLSpace(tag[i]) && tag[i] != '>' && tag[i] != '/' {
			i++
		}
		name := tag[start:i]
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '=' {
			if i == start {
				i++ // a stray '/' or '>'
			}
			continue
		}
		i++
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '"' && tag[i] != '\'' {
			return
		}
		quote := tag[i]
		end := bytes.IndexByte(tag[i+1:], quote)
		if end < 0 {
			return
		}
		fn(name, tag[i+1:i+1+end])
		i += end + 2
	}
}

func isXMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}
