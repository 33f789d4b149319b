package emaillist

import (
	"fmt"
	"io"
	"strings"
)

// Pair asks for one learner to be enrolled in one course.
type Pair struct {
	Index  int    // 0-based position among the list's entries
	Line   int    // 1-based line where the CSV record starts; 0 for a list that has no lines
	Email  string // valid and lower-cased
	Course string // the course key, trimmed
}

// PairProblem is an entry that cannot be enrolled as written.
type PairProblem struct {
	Index  int
	Line   int
	Email  string // as written, trimmed, cut short if very long
	Course string
	Reason string
}

// ParsePairs reads a CSV of email and course columns. A first record naming the columns
// ("email" and "course", in either order, ignoring case) is a header; without one the email
// is the first column and the course the second. A bad email, a missing course or a repeat of
// an earlier pair makes a problem, and the other pairs still count. It fails like ParseEmails.
func ParsePairs(r io.Reader, lim Limits) ([]Pair, []PairProblem, error) {
	in, err := openList(r)
	if err != nil {
		return nil, nil, err
	}
	c := newPairCollector(lim)
	emailColumn, courseColumn := -1, -1 // chosen by the first record
	err = in.readRecords(func(line int, record []string) error {
		if emailColumn < 0 {
			var isHeader bool
			emailColumn, courseColumn, isHeader = pairColumns(record)
			if isHeader {
				return nil
			}
		}
		return c.add(line, field(record, emailColumn), field(record, courseColumn))
	})
	if err != nil {
		return nil, nil, err
	}
	return c.pairs, c.problems, nil
}

// pairColumns finds the email and course columns in a header record; when the record names
// only one, the other is the first column left.
func pairColumns(record []string) (email, course int, isHeader bool) {
	email = header(record, emailHeaders)
	course = header(record, courseHeaders)
	otherThan := func(i int) int {
		if i == 0 {
			return 1
		}
		return 0
	}
	switch {
	case email < 0 && course < 0:
		return 0, 1, false
	case email < 0:
		email = otherThan(course)
	case course < 0:
		course = otherThan(email)
	}
	return email, course, true
}

// CheckPairs applies the rules of ParsePairs to pairs that came as a list, such as a JSON
// array; only Email and Course of the entries are read.
func CheckPairs(entries []Pair, lim Limits) ([]Pair, []PairProblem, error) {
	c := newPairCollector(lim)
	for _, p := range entries {
		if err := c.add(0, p.Email, p.Course); err != nil {
			return nil, nil, err
		}
	}
	return c.pairs, c.problems, nil
}

type pairCollector struct {
	max      int
	seen     map[[2]string]int // email and course → position of the pair in pairs
	pairs    []Pair
	problems []PairProblem
}

func newPairCollector(lim Limits) *pairCollector {
	return &pairCollector{max: lim.MaxEntries, seen: make(map[[2]string]int)}
}

// add takes one entry; email and course must not share memory with larger strings they would keep alive.
func (c *pairCollector) add(line int, email, course string) error {
	index := len(c.pairs) + len(c.problems)
	if c.max > 0 && index >= c.max {
		return &TooManyError{Max: c.max}
	}
	course = strings.TrimSpace(course)
	addr, reason := ValidEmail(email)
	if reason == "" && course == "" {
		reason = "missing course"
	}
	if reason == "" {
		if pos, dup := c.seen[[2]string{addr, course}]; dup {
			reason = duplicateReason(c.pairs[pos])
		} else {
			c.seen[[2]string{addr, course}] = len(c.pairs)
			c.pairs = append(c.pairs, Pair{Index: index, Line: line, Email: addr, Course: course})
			return nil
		}
	}
	c.problems = append(c.problems, PairProblem{
		Index: index, Line: line, Email: shown(email), Course: shown(course), Reason: reason,
	})
	return nil
}

// duplicateReason names the first entry of a repeated pair the way its list numbers entries.
func duplicateReason(first Pair) string {
	if first.Line > 0 {
		return fmt.Sprintf("duplicate of line %d", first.Line)
	}
	return fmt.Sprintf("duplicate of entry %d", first.Index)
}
