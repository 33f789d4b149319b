package handlers

// HeardChangeOf reports whether c has heard a change notification naming
// planID, so tests can fence what a listening cache has heard so far.
func HeardChangeOf(c *LicenseCache, planID string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.planChanged[planID]
	return ok
}
