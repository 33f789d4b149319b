package handlers

import "github.com/seatplan/seatplan/store"

// EnrollmentRequest is the JSON form of a bulk enrollment; CSV lines of
// email,course are the other.
type EnrollmentRequest struct {
	Enrollments []EnrollmentPair `json:"enrollments"`
}

// EnrollmentPair enrolls one address in one course.
type EnrollmentPair struct {
	Email  string `json:"email"`
	Course string `json:"course"`
}

// Enrolled is what a bulk enrollment did; Problems are the entries not
// enrolled, in list order.
type Enrolled struct {
	ID       string              `json:"id"`
	Enrolled int                 `json:"enrolled"`
	Existing int                 `json:"existing"`
	Problems []EnrollmentProblem `json:"problems"`
}

// EnrollmentProblem is an entry that was not enrolled, and why.
type EnrollmentProblem struct {
	Index  int    `json:"index"`
	Line   int    `json:"line,omitzero"` // 1-based CSV line; absent for JSON lists
	Email  string `json:"email"`
	Course string `json:"course"`
	Reason string `json:"reason"`
}

func enrolledOut(res store.EnrollmentResult) Enrolled {
	out := Enrolled{ID: res.ID, Enrolled: res.Enrolled, Existing: res.Existing, Problems: make([]EnrollmentProblem, len(res.Problems))}
	for i, p := range res.Problems {
		out.Problems[i] = EnrollmentProblem{Index: p.Index, Line: p.Line, Email: p.Email, Course: p.Course, Reason: p.Reason}
	}
	return out
}
