package handlers

import (
	"testing"

	"github.com/seatplan/seatplan/store"
)

func TestReasonNames_NameEveryReasonOnce(t *testing.T) {
	t.Parallel()
	for r := store.NoReason + 1; r < store.ReasonCount; r++ {
		if reasonNames[r] == "" {
			t.Errorf("reason %d has no name on the wire", r)
		}
	}
	if len(reasonNames) != int(store.ReasonCount)-1 {
		t.Errorf("%d names for %d reasons", len(reasonNames), store.ReasonCount-1)
	}
}
