package layout

import "strconv"

// Number writes a count the way people read it: 150,000.
func Number[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return sign + string(out)
}

// Plural is a count with its noun agreeing: "1 license", "2 licenses".
func Plural[T ~int | ~int64](n T, one, many string) string {
	if n == 1 {
		return Number(n) + " " + one
	}
	return Number(n) + " " + many
}

// maskKey keeps a key's last eight characters, enough to tell keys apart
// on screen without showing one whole. Not its first: an activation key
// begins with the time it was made, which keys assigned together share.
func maskKey(key string) string {
	if len(key) <= 10 {
		return key
	}
	return "…" + key[len(key)-8:]
}
