// Package lists renders what the list reader found in an upload (its kind,
// encoding, separator, sheet and the columns it used) with the column picker
// that re-reads the stored upload; the assignment and enrollment previews
// both show it.
package lists

import "strconv"

// Source is how an upload was read.
type Source struct {
	FileName  string // "" for pasted text
	Kind      string // "pasted list", "CSV" or "Excel workbook"
	Encoding  string // "" for a workbook
	Separator string // a table's separator by name; "" otherwise
	Sheet     string // a workbook's worksheet
	Header    int    // the line (row) naming the columns; 0 without one
	Columns   []Column
	Email     int // the column the addresses came from; 0 for a pasted list
	// Pairs: the list is of (email, course) pairs; Course is its course column.
	Pairs  bool
	Course int
	// PickURL re-reads the stored upload with the columns picked (GET,
	// ?column=&course_column=); Target is the element htmx replaces with the answer.
	PickURL, Target string
}

// Column is one column of a table, as its first rows show it.
type Column struct {
	Number            int
	Header, Example   string
	Filled, Addresses int
}

func (c Column) label() string {
	s := "Column " + strconv.Itoa(c.Number)
	if c.Header != "" {
		s += ": " + c.Header
	} else if c.Example != "" {
		s += " (" + c.Example + "…)"
	}
	return s + " — " + strconv.Itoa(c.Addresses) + " of " + strconv.Itoa(c.Filled) + " look like addresses"
}

// used names a column the way the preview says it read it.
func (v Source) used(n int) string {
	for _, c := range v.Columns {
		if c.Number == n {
			if c.Header != "" {
				return "column " + strconv.Itoa(n) + " (“" + c.Header + "”)"
			}
			return "column " + strconv.Itoa(n)
		}
	}
	return "column " + strconv.Itoa(n)
}

// TextareaText survives the HTML parser, which drops one newline right after
// <textarea>: without the extra one, a pasted list starting with a blank line
// would lose it, and its line numbers would shift when it is sent again.
func TextareaText(s string) string { return "\n" + s }
