package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestStagedList_OnlyItsUploaderConfirmsIt_ForItsPlan_UntilItExpires(t *testing.T) {
	t.Parallel()
	s, clock := newClockedStore(t)
	ctx := context.Background()
	plan, other := newPlan(t, s, 5), newPlan(t, s, 5)
	ada := Actor{Kind: ActorPerson, ID: NewID(), Name: "ada@example.com"}
	body := []byte("Name;E-Mail\r\nZo\xeb;zoe@example.de\r\n")

	l, err := s.StageList(ctx, StagedList{Purpose: ListForAssignment, PlanID: plan.ID, FileName: "list.csv", ContentType: "text/csv", Body: body}, ada)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.StagedListFor(ctx, l.ID, ListForAssignment, plan.ID, ada)
	if err != nil || !bytes.Equal(got.Body, body) || got.FileName != "list.csv" || got.ContentType != "text/csv" || got.Pasted() {
		t.Fatalf("StagedListFor = %+v, %v", got, err)
	}

	for name, try := range map[string]func() error{
		"another person": func() error {
			_, err := s.StagedListFor(ctx, l.ID, ListForAssignment, plan.ID, Actor{Kind: ActorPerson, ID: NewID()})
			return err
		},
		"a client with the person's id": func() error {
			_, err := s.StagedListFor(ctx, l.ID, ListForAssignment, plan.ID, Actor{Kind: ActorClient, ID: ada.ID})
			return err
		},
		"another plan": func() error {
			_, err := s.StagedListFor(ctx, l.ID, ListForAssignment, other.ID, ada)
			return err
		},
		"enrollment": func() error {
			_, err := s.StagedListFor(ctx, l.ID, ListForEnrollment, "", ada)
			return err
		},
	} {
		if err := try(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}

	clock.Advance(stagedListLifetime + time.Minute)
	if _, err := s.StagedListFor(ctx, l.ID, ListForAssignment, plan.ID, ada); !errors.Is(err, ErrNotFound) || err.(*Error).Reason != ReasonPreviewExpired {
		t.Errorf("expired: %v", err)
	}
	if pruned, err := s.Prune(ctx, PruneBatch); err != nil || pruned["staged_lists"] != 1 {
		t.Errorf("Prune = %v, %v; want the expired list gone", pruned, err)
	}
}

func TestStagedList_DroppedOnceUsed_AndNotForAMissingPlan(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	ada := Actor{Kind: ActorPerson, ID: NewID()}
	l, err := s.StageList(ctx, StagedList{Purpose: ListForEnrollment, Body: []byte("a@x.com,cs101\n")}, ada)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.StagedListFor(ctx, l.ID, ListForEnrollment, "", ada); err != nil || !got.Pasted() {
		t.Fatalf("StagedListFor = %+v, %v", got, err)
	}
	if err := s.DropStagedList(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StagedListFor(ctx, l.ID, ListForEnrollment, "", ada); !errors.Is(err, ErrNotFound) {
		t.Errorf("after drop: %v", err)
	}
	if _, err := s.StageList(ctx, StagedList{Purpose: ListForAssignment, PlanID: "nope", Body: []byte("a@x.com")}, ada); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing plan: %v", err)
	}
}
