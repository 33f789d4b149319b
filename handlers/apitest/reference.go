package apitest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Reference renders the document as the readable API reference in
// docs/API.md: the calls by area, then the shapes they exchange.
func Reference(doc *openapi3.T) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# %s\n\n", doc.Info.Title)
	w("<!-- Generated from handlers/apidoc/openapi.json by `make api-doc`: edit the document, not this file. -->\n\n")
	w("%s\n\n", doc.Info.Description)
	w("The document itself is served at `GET /api/v1/openapi.json`.\n\n")

	w("## Credentials\n\n")
	for _, name := range slices.Sorted(maps.Keys(doc.Components.SecuritySchemes)) {
		s := doc.Components.SecuritySchemes[name].Value
		kind := s.Type
		if s.Scheme != "" {
			kind += " " + s.Scheme
		}
		w("- **%s** (%s): %s\n", name, kind, s.Description)
	}
	w("\n")

	type call struct {
		method, path string
		op           *openapi3.Operation
		item         *openapi3.PathItem
	}
	byTag := map[string][]call{}
	for _, path := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		item := doc.Paths.Value(path)
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if op := item.GetOperation(method); op != nil {
				tag := "Other"
				if len(op.Tags) > 0 {
					tag = op.Tags[0]
				}
				byTag[tag] = append(byTag[tag], call{method, path, op, item})
			}
		}
	}
	for _, tag := range doc.Tags {
		calls := byTag[tag.Name]
		if len(calls) == 0 {
			continue
		}
		w("## %s\n\n", tag.Name)
		if tag.Description != "" {
			w("%s\n\n", tag.Description)
		}
		for _, c := range calls {
			w("### `%s %s`\n\n%s.\n\n", c.method, c.path, c.op.Summary)
			if c.op.Description != "" {
				w("%s\n\n", c.op.Description)
			}
			if c.op.Security != nil && len(*c.op.Security) == 0 {
				w("No authentication.\n\n")
			}
			params := append(slices.Clone(c.item.Parameters), c.op.Parameters...)
			if len(params) > 0 {
				w("| parameter | in | type | |\n| --- | --- | --- | --- |\n")
				for _, p := range params {
					w("| `%s` | %s | %s | %s |\n", p.Value.Name, p.Value.In, typeOf(p.Value.Schema), cell(p.Value.Description))
				}
				w("\n")
			}
			if rb := c.op.RequestBody; rb != nil {
				w("Body")
				if rb.Value.Description != "" {
					w(" (%s)", strings.TrimSuffix(rb.Value.Description, "."))
				}
				w(":\n\n")
				for _, mt := range slices.Sorted(maps.Keys(rb.Value.Content)) {
					w("- `%s`: %s\n", mt, typeOf(rb.Value.Content[mt].Schema))
				}
				w("\n")
			}
			w("| status | answer | body |\n| --- | --- | --- |\n")
			responses := c.op.Responses.Map()
			for _, status := range slices.Sorted(maps.Keys(responses)) {
				r := responses[status].Value
				body := ""
				for _, mt := range slices.Sorted(maps.Keys(r.Content)) {
					body = typeOf(r.Content[mt].Schema)
				}
				w("| %s | %s | %s |\n", status, cell(*r.Description), body)
			}
			w("\n")
		}
	}

	w("## Shapes\n\n")
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		s := doc.Components.Schemas[name].Value
		w("### %s\n\n", name)
		if s.Description != "" {
			w("%s\n\n", s.Description)
		}
		if len(s.Enum) > 0 {
			w("One of %s.\n\n", enum(s.Enum))
			continue
		}
		if len(s.Properties) == 0 {
			continue
		}
		w("| member | type | | |\n| --- | --- | --- | --- |\n")
		for _, p := range slices.Sorted(maps.Keys(s.Properties)) {
			req := "optional"
			if slices.Contains(s.Required, p) {
				req = "always"
			}
			w("| `%s` | %s | %s | %s |\n", p, typeOf(s.Properties[p]), req, cell(s.Properties[p].Value.Description))
		}
		w("\n")
	}
	return b.String()
}

// typeOf names a schema: a link to a shape, or its type.
func typeOf(r *openapi3.SchemaRef) string {
	if r == nil {
		return ""
	}
	if name, ok := strings.CutPrefix(r.Ref, "#/components/schemas/"); ok {
		return fmt.Sprintf("[%s](#%s)", name, strings.ToLower(name))
	}
	s := r.Value
	if len(s.AnyOf) > 0 {
		alts := make([]string, len(s.AnyOf))
		for i, a := range s.AnyOf {
			alts[i] = typeOf(a)
		}
		return strings.Join(alts, " or ")
	}
	var types []string
	for _, t := range s.Type.Slice() {
		switch t {
		case "array":
			types = append(types, "array of "+typeOf(s.Items))
		case "string":
			if s.Format != "" {
				t = s.Format
			}
			if len(s.Enum) > 0 {
				t += " " + enum(s.Enum)
			}
			types = append(types, t)
		default:
			types = append(types, t)
		}
	}
	return strings.Join(types, " or ")
}

func enum(values []any) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = fmt.Sprintf("`%v`", v)
	}
	return "(" + strings.Join(out, ", ") + ")"
}

// cell keeps text inside one table cell.
func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
