package emaillist

import (
	"bufio"
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

type textEntry struct {
	Line  int
	Value string
}

// FuzzReadText checks the streaming text reader, with a buffer so small that entries span
// many reads, against splitting the whole text at once.
func FuzzReadText(f *testing.F) {
	for _, s := range []string{
		"a@x.com\nb@y.org",
		" a@x.com , b@y.org;;\tc@z.net \r\n\r\n  \nd@w.io\re@v.com",
		strings.Repeat(" ", 40) + "long-entry-spanning-reads@example.com" + strings.Repeat(" ", 40) + ",x\n",
		"\uFEFF\u00a0é@x.com\u00a0\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		normalized, err := io.ReadAll(newTextReader(bytes.NewReader(in)))
		if err != nil {
			return // not text: the text reader's own tests cover it
		}
		var want []textEntry
		for i, line := range strings.Split(string(normalized), "\n") {
			for _, v := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ';' || r == '\t' }) {
				if v = strings.TrimSpace(v); v != "" {
					want = append(want, textEntry{i + 1, v})
				}
			}
		}
		var got []textEntry
		l := list{r: bufio.NewReaderSize(newTextReader(bytes.NewReader(in)), 16)}
		if err := l.readText(func(line int, value []byte) error {
			got = append(got, textEntry{line, string(value)})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("readText = %+v\nwant %+v", got, want)
		}
	})
}
