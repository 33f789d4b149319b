package store

// Keyset pagination: a list query fetches one row more than the page holds;
// the extra row only says that another page exists.

// MaxPageLimit bounds one page of any list: a screenful or a batch, small
// enough that every page answers as fast as the first.
const MaxPageLimit = 200

// defaultPageLimit is the page size when a caller names none.
const defaultPageLimit = 50

// pageLimit clamps a requested page size to 1..MaxPageLimit,
// defaultPageLimit when unset.
func pageLimit(requested int) int {
	if requested <= 0 {
		return defaultPageLimit
	}
	return min(requested, MaxPageLimit)
}

// trimPage cuts rows fetched with LIMIT pageLimit+1 down to limit and returns
// the cursor of the next page (the key of the last row kept), or the zero
// value when this is the last page.
func trimPage[T any, C any](rows []T, limit int, key func(T) C) ([]T, C) {
	var next C
	if len(rows) > limit {
		rows = rows[:limit]
		next = key(rows[limit-1])
	}
	return rows, next
}
