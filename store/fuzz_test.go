package store

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValidateImport feeds the import's tree check what a client may send:
// any JSON the handler decodes into a tree. It must answer with a count or
// a refusal a client can act on, never panic, and never accept a block the
// hierarchy or the name and field rules would refuse elsewhere.
func FuzzValidateImport(f *testing.F) {
	for _, seed := range []string{
		`{"type":"course","children":[{"type":"chapter","display_name":"One","children":[{"type":"sequential","display_name":"S","children":[{"type":"vertical","display_name":"V","children":[{"type":"html","display_name":"H","fields":{"body":"<p>x</p>"}}]}]}]}]}`,
		`{"type":"course","children":[{"type":"html","display_name":"misplaced"}]}`,
		`{"type":"chapter"}`,
		`{"type":"course","children":[{"type":"chapter","display_name":"  "}]}`,
		`{"type":"course","children":[{"type":"chapter","display_name":"x","fields":[1]}]}`,
		`{"children":[{"type":"video","display_name":"v","fields":"nope"}]}`,
		`{"type":"course","children":[{"type":"nope","display_name":"n"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var root ImportBlock
		if json.Unmarshal(data, &root) != nil {
			return
		}
		n, err := validateImport(root)
		if err != nil {
			if ErrorCode(err) == "" || err.Error() == "" {
				t.Fatalf("refusal without a code or a message: %v", err)
			}
			return
		}
		count := 0
		var walk func(parent BlockType, b ImportBlock)
		walk = func(parent BlockType, b ImportBlock) {
			count++
			if checkPlacement(parent, b.Type) != nil {
				t.Fatalf("accepted a %s in a %s", b.Type, parent)
			}
			if _, err := validName(b.DisplayName); err != nil {
				t.Fatalf("accepted the name %q: %v", b.DisplayName, err)
			}
			if _, err := validFields(b.Fields); err != nil {
				t.Fatalf("accepted the fields %s: %v", b.Fields, err)
			}
			for _, c := range b.Children {
				walk(b.Type, c)
			}
		}
		for _, c := range root.Children {
			walk(BlockCourse, c)
		}
		if n != count {
			t.Fatalf("counted %d blocks, the tree has %d", n, count)
		}
	})
}

// FuzzValidFields: a block's fields are accepted only as a JSON object
// within the limit, and come back as the object sent.
func FuzzValidFields(f *testing.F) {
	for _, seed := range []string{`{}`, `{"body":"<p>x</p>","weight":2}`, ` {"a":[1,{"b":null}]} `, `[]`, `"x"`, `{`, ``, `null`, `{"a":1}{"b":2}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := validFields(raw)
		if err != nil {
			if ErrorCode(err) != EInvalid && ErrorCode(err) != ETooLarge {
				t.Fatalf("refused %q with %v", raw, err)
			}
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(got, &obj); err != nil || obj == nil {
			t.Fatalf("accepted %q as %q, which is no JSON object (%v)", raw, got, err)
		}
		if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && !bytes.Equal(got, trimmed) {
			t.Fatalf("accepted %q but kept %q", raw, got)
		}
		if strings.TrimSpace(string(raw)) == "" && string(got) != "{}" {
			t.Fatalf("empty fields became %q, want {}", got)
		}
	})
}

// FuzzParseLicenseCursor: a cursor is accepted only in the order that made
// it, and only as encode writes it, so what it names survives the round trip.
func FuzzParseLicenseCursor(f *testing.F) {
	for _, seed := range []string{"assigned.12", "-assigned.0", "email.7.YUBleGFtcGxlLmNvbQ", "-email.3.", "email.1", "14000",
		"assigned.-1", "assigned.+1", "email.1.!!", "assigned.1.YQ", "assigned.99999999999999999999"} {
		for _, order := range []string{"assigned", "-assigned", "email", "-email"} {
			f.Add(order, seed)
		}
	}
	f.Fuzz(func(t *testing.T, order, raw string) {
		c, err := parseLicenseCursor(order, raw)
		if err != nil {
			if ErrorCode(err) != EBadRequest {
				t.Fatalf("refused %q with %v", raw, err)
			}
			return
		}
		if again := c.encode(order); again != raw {
			t.Fatalf("accepted %q in order %q as %+v, which encodes as %q", raw, order, c, again)
		}
	})
}

// FuzzParseActivationKey: a key is accepted only as 32 hex digits, and
// shown back as the same digits in upper case.
func FuzzParseActivationKey(f *testing.F) {
	for _, seed := range []string{"0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdef", "key-1", "", "0123456789ABCDEF0123456789ABCDE",
		"0123456789ABCDEF0123456789ABCDEG", "0123456789ABCDEF0123456789ABCDEF0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, ok := parseActivationKey(s)
		if !ok {
			return
		}
		if len(key) != activationKeySize || activationKeyText(key) != strings.ToUpper(s) {
			t.Fatalf("accepted %q as %x", s, key)
		}
	})
}
