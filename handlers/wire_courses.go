package handlers

import (
	"encoding/json"
	"time"

	"github.com/seatplan/seatplan/store"
)

// CourseRequest creates a course.
type CourseRequest struct {
	Key   string `json:"key"`
	Title string `json:"title"`
}

// Course is a created course and the block at its root.
type Course struct {
	Key         string `json:"key"`
	Title       string `json:"title"`
	RootBlockID string `json:"root_block_id"`
}

// NewBlockRequest adds a block under a parent; fields default to {}.
type NewBlockRequest struct {
	ParentID    string          `json:"parent_id"`
	Type        string          `json:"type"`
	DisplayName string          `json:"display_name"`
	Fields      json.RawMessage `json:"fields"`
}

// BlockUpdateRequest changes a block; what is not sent stays.
type BlockUpdateRequest struct {
	DisplayName *string         `json:"display_name"`
	Fields      json.RawMessage `json:"fields"`
}

// ChildrenRequest is a block's children in a new order.
type ChildrenRequest struct {
	Children []string `json:"children"`
}

// RestoreVersionRequest names the version of a block to bring back.
type RestoreVersionRequest struct {
	VersionID string `json:"version_id"`
}

// Block is a block of a course; VersionID is its ETag.
type Block struct {
	ID          string          `json:"id"`
	Type        store.BlockType `json:"type"`
	DisplayName string          `json:"display_name"`
	Fields      json.RawMessage `json:"fields"`
	ParentID    *string         `json:"parent_id"` // null for the course block
	Children    []string        `json:"children"`
	VersionID   string          `json:"version_id"`
	Course      string          `json:"course"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// HistoryList is a page of a course's change log, newest first.
type HistoryList struct {
	Items      []HistoryItem `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

// HistoryItem is one version of a block: who changed it, how, and the
// block before and after (null where it did not exist).
type HistoryItem struct {
	VersionID string           `json:"version_id"`
	OpID      string           `json:"op_id"`
	BlockID   string           `json:"block_id"`
	Change    store.ChangeKind `json:"change"`
	Actor     string           `json:"actor"`
	ActorKind store.ActorKind  `json:"actor_kind"`
	ActorID   string           `json:"actor_id"`
	Source    store.Source     `json:"source"`
	At        time.Time        `json:"at"`
	Summary   string           `json:"summary"`
	Before    *BlockState      `json:"before"`
	After     *BlockState      `json:"after"`
}

// BlockState is a block as a version recorded it.
type BlockState struct {
	Type        store.BlockType            `json:"type"`
	DisplayName string                     `json:"display_name"`
	Fields      map[string]json.RawMessage `json:"fields"`
	ParentID    *string                    `json:"parent_id"`
	Children    []string                   `json:"children"`
}

// OperationBody is one action's changes to a course: one page action, API
// request, import or undo.
type OperationBody struct {
	OpID      string          `json:"op_id"`
	Actor     string          `json:"actor"`
	ActorKind store.ActorKind `json:"actor_kind"`
	Source    store.Source    `json:"source"`
	At        time.Time       `json:"at"`
	Summary   string          `json:"summary"`
	Changes   int             `json:"changes"`   // versions written
	Blocks    int             `json:"blocks"`    // distinct blocks touched
	BlockIDs  []string        `json:"block_ids"` // cut short for huge operations
	RevertsOp *string         `json:"reverts_op"`
	RevertsTo *time.Time      `json:"reverts_to"`
	UndoneBy  *string         `json:"undone_by"`
}

// OperationList is a page of a course's operations, newest first.
type OperationList struct {
	Items      []OperationBody `json:"items"`
	NextCursor *string         `json:"next_cursor"`
}

// RevertRequest undoes an operation; Force overwrites later changes.
type RevertRequest struct {
	Force bool `json:"force"`
}

// CourseRevertRequest restores a whole course to an instant (RFC 3339).
type CourseRevertRequest struct {
	At string `json:"at"`
}

// Reverted is what an undo or a restore wrote: its new operation.
type Reverted struct {
	OpID     string `json:"op_id"`
	Reverted int    `json:"reverted"`
}

// TreeNode is a block with its subtree, as a course's tree shows it.
type TreeNode struct {
	ID          string          `json:"id"`
	Type        store.BlockType `json:"type"`
	DisplayName string          `json:"display_name"`
	Fields      json.RawMessage `json:"fields"`
	Children    []TreeNode      `json:"children"`
}

// ImportNode is a block of an imported tree; the root is the course block.
type ImportNode struct {
	Type        store.BlockType `json:"type"`
	DisplayName string          `json:"display_name"`
	Fields      json.RawMessage `json:"fields,omitempty"`
	Children    []ImportNode    `json:"children,omitempty"`
}

func blockOut(b store.Block) Block {
	return Block{ID: b.ID, Type: b.Type, DisplayName: b.DisplayName, Fields: b.Fields, ParentID: optional(b.ParentID),
		Children: nonNil(b.Children), VersionID: b.VersionID, Course: b.CourseKey, UpdatedAt: b.UpdatedAt}
}

func historyItemOut(v store.BlockVersion) HistoryItem {
	return HistoryItem{VersionID: v.VersionID, OpID: v.OpID, BlockID: v.BlockID, Change: v.Change,
		Actor: v.Actor.Name, ActorKind: v.Actor.Kind, ActorID: v.Actor.ID,
		Source: v.Source, At: v.At, Summary: v.Summary, Before: blockStateOut(v.Before), After: blockStateOut(v.After)}
}

func blockStateOut(s *store.BlockState) *BlockState {
	if s == nil {
		return nil
	}
	return &BlockState{Type: s.Type, DisplayName: s.DisplayName, Fields: s.Fields, ParentID: s.ParentID, Children: s.Children}
}

func operationOut(o store.Operation) OperationBody {
	return OperationBody{OpID: o.ID, Actor: o.Actor.Name, ActorKind: o.Actor.Kind, Source: o.Source, At: o.At, Summary: o.Summary,
		Changes: o.Changes, Blocks: o.Blocks, BlockIDs: o.BlockIDs, RevertsOp: optional(o.Reverts), RevertsTo: o.RevertsTo, UndoneBy: optional(o.UndoneBy)}
}

func treeOut(t store.TreeBlock) TreeNode {
	n := TreeNode{ID: t.ID, Type: t.Type, DisplayName: t.DisplayName, Fields: t.Fields, Children: make([]TreeNode, len(t.Children))}
	for i, c := range t.Children {
		n.Children[i] = treeOut(c)
	}
	return n
}

func (n ImportNode) block() store.ImportBlock {
	b := store.ImportBlock{Type: n.Type, DisplayName: n.DisplayName, Fields: n.Fields}
	if n.Children != nil {
		b.Children = make([]store.ImportBlock, len(n.Children))
		for i, c := range n.Children {
			b.Children[i] = c.block()
		}
	}
	return b
}
