package layout

import "github.com/a-h/templ"

// FieldErrors are a refused form's problems by input name. Each is shown
// beside its input, which is marked invalid and described by it, so a
// screen reader reads the problem with the field.
type FieldErrors map[string]string

// Invalid is the attributes of the input named name (with element id id):
// none when it has no problem.
func (e FieldErrors) Invalid(id, name string) templ.Attributes {
	if e[name] == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": id + "-error"}
}
