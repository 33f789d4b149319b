package handlers

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/courses"
)

func TestDiffRows_ShowEachFieldAndChildrenByName(t *testing.T) {
	t.Parallel()
	before := &store.BlockState{DisplayName: "A", Fields: map[string]json.RawMessage{"body": json.RawMessage(`"x"`), "n": json.RawMessage(`1`)}, Children: []string{"1", "2"}}
	after := &store.BlockState{DisplayName: "A", Fields: map[string]json.RawMessage{"body": json.RawMessage(`"y"`), "n": json.RawMessage(` 1 `), "new": json.RawMessage(`{"a": [1]}`)}, Children: []string{"2", "1"}}
	got := diffRows(store.DiffStates(before, after), map[string]string{"1": "One", "2": "Two"})
	want := []courses.DiffRow{
		{Field: "display_name", Before: "A", After: "A"},
		{Field: "fields.body", Before: "x", After: "y", Changed: true},
		{Field: "fields.n", Before: "1", After: "1"},
		{Field: "fields.new", After: `{"a":[1]}`, Changed: true},
		{Field: "children", Before: "One\nTwo", After: "Two\nOne", Changed: true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("diff\n got %+v\nwant %+v", got, want)
	}
}

func TestOutcomeCSV_OneLineAnEntryWithUserTextMadeSafe(t *testing.T) {
	t.Parallel()
	got := outcomeCSV([]store.PairResult{
		{Index: 0, Line: 2, Email: "ada@example.com", Course: "cs101", Outcome: store.OutcomeEnrolled},
		{Index: 1, Line: 3, Email: "=HYPERLINK(1)", Course: "\tcs", Outcome: store.OutcomeProblem, Reason: "not an email address"},
		{Index: 2, Email: "bo@example.com", Course: "cs101", Outcome: store.OutcomeExisting},
	})
	want := "index,line,email,course,result,reason\n" +
		"0,2,ada@example.com,cs101," + string(store.OutcomeEnrolled) + ",\n" +
		"1,3,'=HYPERLINK(1),'\tcs," + string(store.OutcomeProblem) + ",not an email address\n" +
		"2,,bo@example.com,cs101," + string(store.OutcomeExisting) + ",\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
