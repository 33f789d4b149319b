package handlers

import "net/url"

// planPath and coursePath are the pages of one plan and one course; the
// pages below them add to these.
func planPath(id string) string    { return "/plans/" + url.PathEscape(id) }
func coursePath(key string) string { return "/courses/" + url.PathEscape(key) }
