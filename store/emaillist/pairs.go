package emaillist

import (
	"fmt"
	"io"
	"strings"
)

// Pair asks for one learner to be enrolled in one course.
type Pair struct {
	Index  int    // 0-based position among the list's entries
	Line   int    // 1-based line (workbook: row) where the record starts; 0 for a list that has no lines
	Email  string // valid and canonical (ValidEmail)
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

// Pairs is a read enrollment list.
type Pairs struct {
	Pairs    []Pair
	Problems []PairProblem
	Layout   Layout
}

// ReadPairs reads a table of email and course columns, as CSV or an .xlsx workbook. The email
// column is found as ReadEmails finds it; the course column is the one whose header names a
// course ("Course", "Course key", "Kurs"…), else the first other column. A bad email, a missing
// course or a repeat of an earlier pair makes a problem, and the other pairs still count. It
// fails like ReadEmails.
func ReadPairs(r io.Reader, opt Options) (Pairs, error) {
	src, err := open(r, opt, true)
	if err != nil {
		return Pairs{}, err
	}
	c := newPairCollector(opt.Limits)
	err = readTable(src.rows(), opt, true, &src.layout, func(line int, email, course string) error {
		return c.add(line, cellAddress(email), email, course)
	})
	layout := src.finish()
	if err != nil {
		return Pairs{}, err
	}
	return Pairs{Pairs: c.pairs, Problems: c.problems, Layout: layout}, nil
}

// CheckPairs applies the rules of ReadPairs to pairs that came as a list, such as a JSON
// array; only Email and Course of the entries are read.
func CheckPairs(entries []Pair, lim Limits) ([]Pair, []PairProblem, error) {
	c := newPairCollector(lim)
	for _, p := range entries {
		if err := c.add(0, cellAddress(p.Email), p.Email, p.Course); err != nil {
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

// add takes one entry: the address it holds, the email as written and the course. None may
// share memory with a larger string it would keep alive.
func (c *pairCollector) add(line int, addr, email, course string) error {
	index := len(c.pairs) + len(c.problems)
	if c.max > 0 && index >= c.max {
		return &TooManyError{Max: c.max}
	}
	course = strings.TrimSpace(course)
	addr, reason := ValidEmail(addr)
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
