// Package paths builds the addresses of Seatplan's pages and API resources,
// escaping what goes into them: course keys hold ":" and "+", and every
// other id comes from a client. Handlers and views both build links here.
package paths

import "net/url"

func seg(s string) string { return url.PathEscape(s) }

// APIJob is a job's status on the API.
func APIJob(id string) string { return "/api/v1/jobs/" + seg(id) }

// APIPlan is a plan on the API.
func APIPlan(id string) string { return "/api/v1/plans/" + seg(id) }

// APICourse is a course on the API.
func APICourse(key string) string { return "/api/v1/courses/" + seg(key) }

// APIBlock is a block of a course on the API.
func APIBlock(course, id string) string { return APICourse(course) + "/blocks/" + seg(id) }

// APIActivationLicense is where an activated instance refreshes its license.
func APIActivationLicense(id string) string { return "/api/v1/activations/" + seg(id) + "/license" }

// PlanInstances is a plan's page of activated instances, where an admin
// deactivates one.
func PlanInstances(planID string) string { return "/plans/" + seg(planID) + "/instances" }
