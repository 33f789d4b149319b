package layout

import "testing"

// Keys assigned together share their first characters (the time they were
// made), so the mask keeps the last ones, which tell them apart.
func TestMaskKey(t *testing.T) {
	for key, want := range map[string]string{
		"019AE3F2C4B10D5E8A7F6C3B2A190817": "…2A190817",
		"019AE3F2C4B1FFFF0000111122223333": "…22223333",
		"SHORTKEY10":                       "SHORTKEY10",
		"":                                 "",
	} {
		if got := maskKey(key); got != want {
			t.Errorf("maskKey(%q) = %q, want %q", key, got, want)
		}
	}
}
