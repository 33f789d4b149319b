package handlers

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"

	"github.com/seatplan/seatplan/store"
)

func TestMergeTypedFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		typ      store.BlockType
		raw      string
		form     url.Values
		want     map[string]any // nil: the raw JSON comes back as it was
		problems []string
	}{
		{"InputsWinOverTheJSON", store.BlockProblem, `{"weight": 1, "max_attempts": 3, "rubric": "r"}`,
			url.Values{"field.weight": {"0.5"}, "field.max_attempts": {" 2 "}}, map[string]any{"weight": 0.5, "max_attempts": 2.0, "rubric": "r"}, nil},
		{"AnEmptyNumberDropsTheField", store.BlockProblem, `{"weight": 1, "max_attempts": 3}`,
			url.Values{"field.weight": {"1"}, "field.max_attempts": {""}}, map[string]any{"weight": 1.0}, nil},
		{"ABodyKeepsItsSpacing", store.BlockHTML, `{}`, url.Values{"field.body": {"  <p>Hi</p>\n"}}, map[string]any{"body": "  <p>Hi</p>\n"}, nil},
		{"BadNumbersAndURLsAreRefusedByField", store.BlockVideo, `{"url": "https://example.com/a.mp4"}`,
			url.Values{"field.url": {"example.com/a.mp4"}, "field.duration_s": {"-3"}}, nil, []string{"duration_s", "url"}},
		{"NoInputsLeaveTheJSON", store.BlockChapter, `{"x": 1}`, url.Values{"field.body": {"ignored"}}, nil, nil},
		{"BrokenJSONIsTheStoresToRefuse", store.BlockHTML, `{"body": `, url.Values{"field.body": {"<p>x</p>"}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, errs := mergeTypedFields(tt.typ, tt.raw, tt.form)
			var keys []string
			for _, k := range []string{"body", "duration_s", "max_attempts", "url", "weight"} {
				if errs[k] != "" {
					keys = append(keys, k)
				}
			}
			if !reflect.DeepEqual(keys, tt.problems) {
				t.Errorf("problems at %v, want %v (%v)", keys, tt.problems, errs)
			}
			if tt.want == nil {
				if got != tt.raw {
					t.Errorf("fields = %s, want the raw JSON back", got)
				}
				return
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(got), &m); err != nil || !reflect.DeepEqual(m, tt.want) {
				t.Errorf("fields = %s, want %v", got, tt.want)
			}
		})
	}
}

func TestTypedFieldsOf_ReadsTheBlocksValues(t *testing.T) {
	t.Parallel()
	f := typedFieldsOf(store.BlockProblem, json.RawMessage(`{"weight": 0.25, "max_attempts": 3}`))
	if len(f) != 2 || f[0].Value != "0.25" || f[1].Value != "3" {
		t.Errorf("typed fields = %+v", f)
	}
	if typedFieldsOf(store.BlockVertical, json.RawMessage(`{}`)) != nil {
		t.Error("a vertical has typed fields")
	}
}
