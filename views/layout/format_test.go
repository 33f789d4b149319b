package layout_test

import (
	"testing"

	"github.com/seatplan/seatplan/views/layout"
)

func TestNumber(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 150000: "150,000",
		1234567: "1,234,567", -1000: "-1,000", -12: "-12"} {
		if got := layout.Number(n); got != want {
			t.Errorf("Number(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0 licenses", 1: "1 license", 2: "2 licenses", 1500: "1,500 licenses"} {
		if got := layout.Plural(n, "license", "licenses"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}
