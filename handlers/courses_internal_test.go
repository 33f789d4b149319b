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
