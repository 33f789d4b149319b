package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/seatplan/seatplan/store"
)

// Text from the outside must be UTF-8 without NUL: PostgreSQL refuses NUL
// in text and jsonb, and invalid UTF-8 in either. Checking every value at
// the edge turns both into a 400 naming the field, instead of a 500 from
// deep inside a statement.

// textProblem says what is wrong with s, or "".
func textProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

// badField is the refusal of one field's bytes.
func badField(field, problem string) error {
	return &store.Error{Code: store.EBadRequest, Reason: store.ReasonInvalidText, Message: fmt.Sprintf("The field %s %s.", field, problem),
		Detail: store.FieldName(field)}
}

// CheckRequestText refuses a request whose path values or query hold NUL
// or invalid UTF-8. patternOf returns the route the request matches ("GET
// /plans/{id}"), whose wildcards name the path's fields; it is only asked
// when something is wrong.
func CheckRequestText(r *http.Request, patternOf func(*http.Request) string) error {
	if textProblem(r.URL.Path) != "" {
		pattern := patternOf(r)
		_, path, _ := strings.Cut(pattern, " ")
		if path == "" {
			path = pattern
		}
		names := strings.Split(path, "/")
		for i, seg := range strings.Split(r.URL.Path, "/") {
			if p := textProblem(seg); p != "" {
				name := "path"
				if i < len(names) && strings.HasPrefix(names[i], "{") {
					name = strings.Trim(names[i], "{}.")
				}
				return badField(name, p)
			}
		}
	}
	if r.URL.RawQuery == "" {
		return nil // the license refresh path: nothing to parse
	}
	return checkValues(r.URL.Query())
}

// checkValues refuses form or query values (and names) with bad bytes, the
// first field in name order, so the answer is the same every time.
func checkValues(v url.Values) error {
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if p := textProblem(name); p != "" {
			return badField(strconv.Quote(name), p)
		}
		for _, value := range v[name] {
			if p := textProblem(value); p != "" {
				return badField(name, p)
			}
		}
	}
	return nil
}

// checkJSONText finds the first string (a member name or a value) of a
// JSON document that holds NUL or invalid UTF-8, and names it by its path
// ("name", "fields.body", "emails[3]"). A document that is not JSON passes:
// decoding it reports that.
func checkJSONText(raw []byte) error {
	if utf8.Valid(raw) && !bytes.Contains(raw, []byte(`\u0000`)) {
		return nil // the common case: nothing to look for
	}
	type frame struct {
		object    bool
		key       string
		index     int
		expectKey bool
	}
	var stack []*frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				fmt.Fprintf(&b, "[%d]", f.index)
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	advance := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.object {
			top.expectKey = true
		} else {
			top.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var from int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		to := dec.InputOffset()
		span := raw[from:to]
		from = to
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &frame{object: t == '{', expectKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				advance()
			}
			continue
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey
			if isKey {
				top := stack[len(stack)-1]
				top.key, top.expectKey = t, false
			}
			problem := textProblem(t)
			if problem == "" && !utf8.Valid(span) {
				problem = "is not valid UTF-8" // the decoder replaced the bad bytes
			}
			if problem != "" {
				if isKey {
					return badField(strconv.Quote(t), problem)
				}
				return badField(path(), problem)
			}
			if isKey {
				continue
			}
		}
		advance()
	}
}
