package emaillist

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// sampleRows is how many non-blank rows are read before the columns are chosen; they are
// held, then read as entries like the rest.
const sampleRows = 200

// rowReader is a table read row by row: CSV records or a worksheet's rows.
type rowReader interface {
	// next returns the next row, or io.EOF. Its cells are only valid until the next call.
	next() (row, error)
	// keepOnly says which columns (0-based) the rows after the sample are read for: a reader
	// may leave the other cells empty (but still says whether a row is blank), and makes those
	// strings of their own, so that a kept address holds on to nothing more.
	keepOnly(cols []int)
}

type row struct {
	line  int // CSV: where the record starts; workbook: the row number
	cells []string
	blank bool // no cell holds more than white space
}

// tableColumns is what the first rows of a table say about it.
type tableColumns struct {
	header  int // index in the sample of the header row; -1 without one
	email   int // 0-based address column
	course  int // 0-based course column, -1 when there is none
	columns []Column
}

// readTable samples a table's first rows, chooses its columns (filling l), and calls add with
// the address cell (and with pairs, the course cell) of every row below the header that is not
// blank, in order. The cells are strings of their own.
func readTable(rows rowReader, opt Options, pairs bool, l *Layout, add func(line int, email, course string) error) error {
	var sample []row
	for len(sample) < sampleRows {
		r, err := rows.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if !r.blank {
			r.cells = cloneCells(r.cells)
			sample = append(sample, r)
		}
	}
	tc, err := chooseColumns(sample, opt, pairs)
	if err != nil {
		return err
	}
	l.Columns, l.Email = tc.columns, tc.email+1
	if tc.header >= 0 {
		l.Header = sample[tc.header].line
	}
	if tc.course >= 0 {
		l.Course = tc.course + 1
	}
	for _, r := range sample[tc.header+1:] {
		if err := add(r.line, field(r.cells, tc.email), field(r.cells, tc.course)); err != nil {
			return err
		}
	}
	if len(sample) < sampleRows {
		return nil
	}
	rows.keepOnly([]int{tc.email, tc.course})
	return readRest(rows, tc.email, tc.course, add)
}

// rowBatch is how many rows readRest hands over at a time.
const rowBatch = 1024

type tableEntry struct {
	line          int
	email, course string
}

// readRest reads the rows after the sample in a goroutine of its own while add takes the rows
// already read: decoding XML or CSV costs about as much as validating the addresses, and a
// workbook would otherwise take twice as long as the same list pasted. The goroutine is gone
// when readRest returns.
func readRest(rows rowReader, email, course int, add func(line int, email, course string) error) error {
	batches := make(chan []tableEntry, 2)
	stop := make(chan struct{})
	var readErr error // written before batches is closed
	go func() {
		defer close(batches)
		batch := make([]tableEntry, 0, rowBatch)
		for {
			r, err := rows.next()
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				break
			}
			if r.blank {
				continue
			}
			if batch = append(batch, tableEntry{r.line, field(r.cells, email), field(r.cells, course)}); len(batch) < rowBatch {
				continue
			}
			select {
			case batches <- batch:
				batch = make([]tableEntry, 0, rowBatch)
			case <-stop:
				return
			}
		}
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-stop:
			}
		}
	}()
	for batch := range batches {
		for _, e := range batch {
			if err := add(e.line, e.email, e.course); err != nil {
				close(stop)
				for range batches { // until the reader has gone
				}
				return err
			}
		}
	}
	return readErr
}

// chooseColumns finds the header row, then the address column: the one whose cells are mostly
// addresses, preferring one whose header names an email (a header alone is not enough: Google
// Contacts has "E-mail 1 - Type" beside "E-mail 1 - Value"). A column the caller names wins.
func chooseColumns(sample []row, opt Options, pairs bool) (tableColumns, error) {
	tc := tableColumns{header: headerRow(sample, opt, pairs), course: -1}
	var headers []string
	if tc.header >= 0 {
		headers = trimmedCells(sample[tc.header].cells)
	}
	width := 0
	for _, r := range sample {
		width = max(width, len(r.cells))
	}
	tc.columns = make([]Column, width)
	withAt := make([]int, width) // cells that look like addresses, valid or not
	for j := range tc.columns {
		c := &tc.columns[j]
		c.Number = j + 1
		if j < len(headers) {
			c.Header = headers[j]
		}
		for _, r := range sample[tc.header+1:] {
			if j >= len(r.cells) || strings.TrimSpace(r.cells[j]) == "" {
				continue
			}
			cell := r.cells[j]
			if c.Filled++; c.Example == "" {
				c.Example = shown(cell)
			}
			if strings.Contains(cell, "@") {
				withAt[j]++
			}
			if _, reason := ValidEmail(cellAddress(cell)); reason == "" {
				c.Addresses++
			}
		}
	}
	var err error
	if tc.email, err = addressColumn(tc.columns, withAt, headers, opt.Column); err != nil {
		return tc, err
	}
	if pairs {
		if tc.course, err = courseColumn(tc.columns, headers, opt.CourseColumn, tc.email); err != nil {
			return tc, err
		}
	}
	return tc, nil
}

// headerRow finds the row that names the columns: the first that names an address (or course)
// column before any row holding an @, so that notes above it (LinkedIn's export has some) are
// skipped; else the first row, unless it holds an @.
func headerRow(sample []row, opt Options, pairs bool) int {
	named := func(cell string) bool {
		return emailHeaderRank(cell) > 0 || pairs && courseHeaderRank(cell) > 0 ||
			askedByName(opt.Column) && sameHeader(cell, opt.Column) ||
			pairs && askedByName(opt.CourseColumn) && sameHeader(cell, opt.CourseColumn)
	}
	for i, r := range sample {
		if slices.ContainsFunc(r.cells, func(cell string) bool { return strings.Contains(cell, "@") }) {
			if i == 0 {
				return -1
			}
			break
		}
		if slices.ContainsFunc(r.cells, named) {
			return i
		}
	}
	if len(sample) == 0 {
		return -1
	}
	return 0
}

func addressColumn(cols []Column, withAt []int, headers []string, asked string) (int, error) {
	if asked != "" {
		return askedColumn(cols, headers, asked)
	}
	best, bestRank := -1, 0
	for j, c := range cols {
		if c.Addresses == 0 || 2*c.Addresses < c.Filled {
			continue
		}
		rank := emailHeaderRank(c.Header)
		if best < 0 || rank > bestRank || rank == bestRank && c.Addresses > cols[best].Addresses {
			best, bestRank = j, rank
		}
	}
	if best >= 0 {
		return best, nil
	}
	// No column is mostly addresses, but one is headed as the address column, or holds what
	// look like addresses: read it, so that each bad cell is reported on its line.
	for j, c := range cols {
		if emailHeaderRank(c.Header) == strongHeader {
			return j, nil
		}
	}
	if j := maxIndex(withAt); j >= 0 && withAt[j] > 0 {
		return j, nil
	}
	if !slices.ContainsFunc(cols, func(c Column) bool { return c.Filled > 0 }) {
		return 0, nil // a header and nothing under it: an empty list
	}
	return 0, &NoAddressColumnError{Headers: headers}
}

// maxIndex is the index of the first largest of counts, or -1 when there are none.
func maxIndex(counts []int) int {
	best := -1
	for j, n := range counts {
		if best < 0 || n > counts[best] {
			best = j
		}
	}
	return best
}

func courseColumn(cols []Column, headers []string, asked string, email int) (int, error) {
	if asked != "" {
		return askedColumn(cols, headers, asked)
	}
	best, bestRank := -1, 0
	for j, c := range cols {
		if rank := courseHeaderRank(c.Header); j != email && rank > bestRank {
			best, bestRank = j, rank
		}
	}
	if best >= 0 {
		return best, nil
	}
	for j := range cols {
		if j != email {
			return j, nil
		}
	}
	return -1, nil // every entry lacks its course
}

// askedByName reports whether a caller asked for a column by its header, not its number.
func askedByName(asked string) bool {
	_, err := strconv.Atoi(strings.TrimSpace(asked))
	return asked != "" && err != nil
}

// askedColumn finds a column by its 1-based number or its header.
func askedColumn(cols []Column, headers []string, asked string) (int, error) {
	asked = strings.TrimSpace(asked)
	if n, err := strconv.Atoi(asked); err == nil {
		if n >= 1 && n <= len(cols) {
			return n - 1, nil
		}
	} else {
		for _, exact := range []bool{true, false} {
			for j, h := range headers {
				if exact && strings.EqualFold(h, asked) || !exact && sameHeader(h, asked) {
					return j, nil
				}
			}
		}
	}
	return 0, &ColumnNotFoundError{Column: asked, Headers: headers, Columns: len(cols)}
}

// Header ranks: a header that is the name of an address column outright ranks above one that
// mentions email among other words ("Work e-mail", "E-mail 1 - Type").
const (
	mentionsHeader = 1
	strongHeader   = 2
)

// Header names folded by headerKey. People write "E-Mail-Adresse", "Courriel", "Correo
// electrónico"; exports write "E-mail Address" (Outlook) or "E-mail 1 - Value" (Google).
var (
	emailHeaderNames = []string{
		"email", "emails", "emailaddress", "emailaddresses", "mail", "mailaddress", "emailid",
		"emailadresse", "emailadres", "emailadress", "adresseemail", "adressemail", "courriel",
		"adressecourriel", "adressedecourriel", "correo", "correoelectronico",
		"direcciondecorreo", "direcciondecorreoelectronico", "direcciondeemail",
		"correioeletronico", "enderecodeemail", "postaelettronica", "indirizzoemail",
		"epost", "epostadresse", "epostadress", "sahkoposti", "sahkopostiosoite", "eposta",
		"epostaadresi", "adresemail", "emailovaadresa", "メール", "メールアドレス",
		"电子邮件", "电子邮箱", "邮箱", "電子郵件", "이메일", "почта", "электроннаяпочта",
	}
	emailHeaderWords = []string{
		"email", "courriel", "correo", "correio", "postaelettronica", "epost", "sahkoposti",
		"eposta", "メール", "邮箱", "邮件", "郵件", "이메일", "почт",
	}
	courseHeaderNames = []string{
		"course", "courses", "coursekey", "courseid", "coursecode", "courserun", "cours",
		"curso", "kurs", "corso", "cursus", "kurssi",
	}
	courseHeaderWords = []string{"course", "cours", "curso", "kurs", "corso"}
)

func emailHeaderRank(h string) int { return headerRank(h, emailHeaderNames, emailHeaderWords) }

func courseHeaderRank(h string) int { return headerRank(h, courseHeaderNames, courseHeaderWords) }

// maxHeaderKey bounds what can be a header: a longer cell is a note that mentions email.
const maxHeaderKey = 40

func headerRank(h string, names, words []string) int {
	key := headerKey(h)
	switch {
	case key == "" || len(key) > maxHeaderKey:
		return 0
	case slices.Contains(names, key):
		return strongHeader
	case slices.ContainsFunc(words, func(w string) bool { return strings.Contains(key, w) }):
		return mentionsHeader
	}
	return 0
}

func sameHeader(a, b string) bool {
	ka := headerKey(a)
	return ka != "" && ka == headerKey(b)
}

// stripMarks drops accents, so that "Correo electrónico" folds like "correo electronico". A
// transformer holds state, so each use makes its own.
func stripMarks() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

// headerKey folds how people write column names: "E-mail Address" and "e_mail address" are
// "emailaddress", "Correo electrónico" is "correoelectronico".
func headerKey(name string) string {
	name = strings.TrimSpace(name)
	if hasNonASCII(name) {
		if folded, _, err := transform.String(stripMarks(), name); err == nil {
			name = folded
		}
	}
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return unicode.ToLower(r)
		}
		return -1
	}, name)
}

// cellAddress is the address a table cell holds: the cell itself, or the address of the one
// mailbox it holds ("Anna Müller <anna@example.de>"); several addresses in one cell stay whole,
// for the reason to say why.
func cellAddress(cell string) string {
	if !strings.ContainsAny(cell, "<\"") {
		return cell
	}
	var only []byte
	n := 0
	_ = splitAddressList([]byte(cell), func(e entry) error {
		only = e.addr
		n++
		return nil
	})
	if n != 1 {
		return cell
	}
	return string(only)
}

func blankRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func cloneCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.Clone(c)
	}
	return out
}

func trimmedCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.TrimSpace(c)
	}
	return out
}

// field is record[i], or "" when the record is short or i is -1.
func field(record []string, i int) string {
	if i < 0 || i >= len(record) {
		return ""
	}
	return record[i]
}
