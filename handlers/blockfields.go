package handlers

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/seatplan/seatplan/store"
	"github.com/seatplan/seatplan/views/courses"
	"github.com/seatplan/seatplan/views/layout"
)

// typedFields are the fields of leaf blocks that get inputs of their own;
// every other field, and every other block, is edited as JSON.
var typedFields = map[store.BlockType][]courses.TypedField{
	store.BlockHTML: {{Key: "body", Label: "Body", Kind: courses.FieldHTML, Hint: "HTML, as learners see it; the preview shows it without scripts."}},
	store.BlockProblem: {
		{Key: "weight", Label: "Weight", Kind: courses.FieldNumber, Hint: "How much the problem counts towards the grade."},
		{Key: "max_attempts", Label: "Attempts allowed", Kind: courses.FieldInteger, Hint: "Leave empty for no limit."},
	},
	store.BlockVideo: {
		{Key: "url", Label: "Video URL", Kind: courses.FieldURL, Hint: "A full address, like https://example.com/intro.mp4."},
		{Key: "duration_s", Label: "Duration (seconds)", Kind: courses.FieldInteger},
	},
}

// typedFieldsOf fills a block type's typed fields from its JSON fields.
func typedFieldsOf(t store.BlockType, raw json.RawMessage) []courses.TypedField {
	defs := typedFields[t]
	if len(defs) == 0 {
		return nil
	}
	var values map[string]any
	json.Unmarshal(raw, &values) // a block's fields are always an object
	out := make([]courses.TypedField, len(defs))
	for i, d := range defs {
		out[i] = d
		switch v := values[d.Key].(type) {
		case string:
			out[i].Value = v
		case float64:
			out[i].Value = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return out
}

// typedFieldForm is the input name of a typed field.
func typedFieldForm(key string) string { return "field." + key }

// mergeTypedFields lays the typed inputs a form sent over its JSON fields
// (the advanced view), so both ways of editing save one object. It returns
// the merged JSON, the typed fields as typed (to refill a refused form),
// and their problems. JSON the store will refuse anyway is left as it is.
func mergeTypedFields(t store.BlockType, raw string, form url.Values) (string, []courses.TypedField, layout.FieldErrors) {
	defs := typedFields[t]
	errs := layout.FieldErrors{}
	var typed []courses.TypedField
	values := map[string]any{}
	parsed := json.Unmarshal([]byte(raw), &values) == nil
	for _, d := range defs {
		v, sent := form[typedFieldForm(d.Key)]
		if !sent {
			continue
		}
		d.Value = strings.TrimSpace(v[0])
		if d.Kind == courses.FieldHTML {
			d.Value = v[0] // a body keeps its own spacing
		}
		typed = append(typed, d)
		switch {
		case d.Value == "" && d.Kind != courses.FieldHTML:
			delete(values, d.Key)
		case d.Kind == courses.FieldNumber:
			n, err := strconv.ParseFloat(d.Value, 64)
			if err != nil || n < 0 {
				errs[d.Key] = d.Label + " must be a number of 0 or more, like 1 or 0.5."
				continue
			}
			values[d.Key] = n
		case d.Kind == courses.FieldInteger:
			n, err := strconv.Atoi(d.Value)
			if err != nil || n < 0 {
				errs[d.Key] = d.Label + " must be a whole number of 0 or more."
				continue
			}
			values[d.Key] = n
		case d.Kind == courses.FieldURL:
			u, err := url.Parse(d.Value)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs[d.Key] = "Enter a full address starting with https://."
				continue
			}
			values[d.Key] = d.Value
		default:
			values[d.Key] = d.Value
		}
	}
	if len(typed) == 0 || !parsed || len(errs) > 0 {
		return raw, typed, errs
	}
	merged, _ := json.MarshalIndent(values, "", "  ")
	return string(merged), typed, errs
}
