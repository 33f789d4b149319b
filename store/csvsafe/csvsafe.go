// Package csvsafe keeps a spreadsheet from running what a user typed: every
// CSV that Seatplan offers for download writes user text through Cell.
package csvsafe

import "strings"

// Cell returns s as a cell a spreadsheet shows as text. A cell that starts
// with = + - @ (a formula), or with a tab or carriage return (which some
// spreadsheets skip before looking for one), is prefixed with a quote.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
