package handlers

import (
	"net/url"
	"strconv"

	"github.com/seatplan/seatplan/views/layout"
)

// listPageSize is how many rows a counted list shows a page.
const listPageSize = 50

// pageFrom is the position (1-based) of a page's first row, carried in the
// page links as ?from= so that a keyset page knows where it is without
// counting the rows before it. It only labels the page.
func pageFrom(q url.Values) int {
	n, err := strconv.Atoi(q.Get("from"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// rangePager is the "51–100 of 149 ‹ ›" pager of a counted list at path
// whose filters are in filters: next and prev are the store's cursors
// onward (after=) and back (before=), "" where there is no such page.
func rangePager(path string, filters url.Values, from, shown, total int, next, prev string) layout.Pager {
	p := layout.Pager{From: from, To: from + shown - 1, Total: total}
	link := func(cursorKey, cursor string, from int) string {
		v := url.Values{}
		for k, vs := range filters {
			v[k] = vs
		}
		v.Set(cursorKey, cursor)
		v.Set("from", strconv.Itoa(from))
		return path + "?" + v.Encode()
	}
	if next != "" {
		p.NextURL = link("after", next, from+shown)
	}
	if prev != "" {
		p.PrevURL = link("before", prev, max(1, from-listPageSize))
	}
	if total == 0 && shown == 0 {
		return layout.Pager{} // an empty list says so itself
	}
	return p
}
