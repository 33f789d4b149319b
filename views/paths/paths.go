// Package paths builds the addresses of Seatplan's pages and API resources,
// escaping what goes into them: course keys hold ":" and "+", lock names
// ":", and every id can come from a client. Handlers and views both build
// their links, redirects and Location headers here, one builder per area.
package paths

import "net/url"

func seg(s string) string { return url.PathEscape(s) }

// withQuery appends the non-empty values of q to u.
func withQuery(u string, q url.Values) string {
	for k, vs := range q {
		if len(vs) == 0 || vs[0] == "" {
			delete(q, k)
		}
	}
	if len(q) == 0 {
		return u
	}
	return u + "?" + q.Encode()
}

// People and API clients.

// Person is a colleague's entry on the people page; actions go below it.
func Person(id string) string { return "/people/" + seg(id) }

// Client is an API client's entry on the clients page; actions go below it.
func Client(id string) string { return "/clients/" + seg(id) }

// Plans.

// Plans is the plans list searched and sorted by list ("q", "sort", "dir").
func Plans(list url.Values) string { return withQuery("/plans", list) }

// Plan is a plan's page.
func Plan(id string) string { return "/plans/" + seg(id) }

// PlanAction is a form of the plan's page: "revocations", "courses",
// "instances", "licenses.csv", "assignments", "assignments/preview"…
func PlanAction(id, action string) string { return Plan(id) + "/" + action }

// PlanLicenses is a plan's page with its licenses table searched, filtered
// and sorted by list ("q", "status", "sort", "dir").
func PlanLicenses(id string, list url.Values) string { return withQuery(Plan(id), list) }

// LicensesCSV exports a plan's licenses as the table lists them: the same
// search, status and order.
func LicensesCSV(planID string, list url.Values) string {
	return withQuery(PlanAction(planID, "licenses.csv"), list)
}

// InstanceDeactivate ends one activation of a plan's license.
func InstanceDeactivate(planID, activationID string) string {
	return PlanInstances(planID) + "/" + seg(activationID) + "/deactivate"
}

// PlanJob is a job's progress fragment on its plan.
func PlanJob(planID, jobID string) string { return Plan(planID) + "/jobs/" + seg(jobID) }

// PlanJobCancel cancels a plan's job.
func PlanJobCancel(planID, jobID string) string { return PlanJob(planID, jobID) + "/cancel" }

// PlanRevocation is the plan's page following a revocation job.
func PlanRevocation(planID, jobID string) string {
	return withQuery(Plan(planID), url.Values{"job": {jobID}}) + "#revocation"
}

// RevokeListForm is the plan page's form to revoke a list.
func RevokeListForm(planID string) string { return Plan(planID) + "#revoke-section" }

// RevocationPreview is a staged list's revocation preview, to read again
// with another column.
func RevocationPreview(planID, listID string) string {
	return Plan(planID) + "/revocations/previews/" + seg(listID)
}

// PlanAssignment is the plan's page following an assignment job.
func PlanAssignment(planID, jobID string) string {
	return withQuery(Plan(planID), url.Values{"job": {jobID}}) + "#assignment"
}

// NewAssignment is the form to upload a list to assign; from names a kept
// preview whose list the form starts over with.
func NewAssignment(planID, from string) string {
	return withQuery(Plan(planID)+"/assignments/new", url.Values{"from": {from}})
}

// AssignmentPreview is a kept preview of a list to assign.
func AssignmentPreview(planID, previewID string) string {
	return Plan(planID) + "/assignments/previews/" + seg(previewID)
}

// PlanCourse is a course linked to a plan, for an action on the link.
func PlanCourse(planID, key, action string) string {
	return Plan(planID) + "/courses/" + seg(key) + "/" + action
}

// Locks.

// LocksPoll is the locks table's poll, naming the version of the table the
// page shows.
func LocksPoll(seen string) string { return withQuery("/locks", url.Values{"seen": {seen}}) }

// LockRelease releases a lock left by crashed work.
func LockRelease(name string) string { return "/locks/" + seg(name) + "/release" }

// Enrollments.

// NewEnrollment is the enrollment upload form, filled again from the staged
// list from when it is not "".
func NewEnrollment(from string) string { return withQuery("/enrollments", url.Values{"from": {from}}) }

// EnrollmentPreview is a kept preview of a list to enroll.
func EnrollmentPreview(id string) string { return "/enrollments/previews/" + seg(id) }

// EnrollmentResult is a kept bulk enrollment's result page.
func EnrollmentResult(id string) string { return "/enrollments/results/" + seg(id) }

// EnrollmentResultCSV is that result's per-entry download.
func EnrollmentResultCSV(id string) string { return EnrollmentResult(id) + ".csv" }

// CourseLearners lists a course's learners; q and after filter and page.
func CourseLearners(key, q, after string) string {
	return withQuery("/enrollments/courses/"+seg(key), url.Values{"q": {q}, "after": {after}})
}

// CourseUnenroll unenrolls a learner from a course.
func CourseUnenroll(key string) string { return "/enrollments/courses/" + seg(key) + "/unenroll" }

// Courses.

// Course is a course's editor page.
func Course(key string) string { return "/courses/" + seg(key) }

// CourseStaff is the course's staff: who may author it besides the roles.
func CourseStaff(key string) string { return Course(key) + "/staff" }

// CourseBlock is the editor page with a block open.
func CourseBlock(key, id string) string { return withQuery(Course(key), url.Values{"block": {id}}) }

// BlockAction is a form or fragment of a block: "edit", "add", "reorder",
// "delete", "changes".
func BlockAction(key, id, action string) string {
	return Course(key) + "/blocks/" + seg(id) + "/" + action
}

// BlockChanges polls the changes to a block since a version; seen names
// the changes the page shows.
func BlockChanges(key, id, since, seen string) string {
	return withQuery(BlockAction(key, id, "changes"), url.Values{"since": {since}, "seen": {seen}})
}

// CourseHistory is a course's change log; the filters and cursor are kept.
func CourseHistory(key string, filters url.Values) string {
	return withQuery(Course(key)+"/history", filters)
}

// UndoVersion undoes one version of a block.
func UndoVersion(key, version string) string {
	return Course(key) + "/history/" + seg(version) + "/undo"
}

// Operation is an operation's page; after pages through its changes.
func Operation(key, op, after string) string {
	return withQuery(Course(key)+"/operations/"+seg(op), url.Values{"after": {after}})
}

// UndoOperation asks for, and does, the undo of an operation.
func UndoOperation(key, op string) string { return Operation(key, op, "") + "/undo" }

// RestoreCourse asks for, and does, the restore of a course to an instant.
func RestoreCourse(key, at string) string {
	return withQuery(Course(key)+"/restore", url.Values{"at": {at}})
}

// PastTree is the course as it was at an instant.
func PastTree(key, at string) string { return withQuery(Course(key)+"/tree", url.Values{"at": {at}}) }

// API.

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

// PlanInstances is the plan page that lists (and deactivates) its instances.
func PlanInstances(id string) string { return Plan(id) + "/instances" }

// BlockHistory is the change log of one block.
func BlockHistory(key, id string) string { return CourseHistory(key, url.Values{"block": {id}}) }
