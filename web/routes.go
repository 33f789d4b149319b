package web

import (
	"net/http"

	"github.com/seatplan/seatplan/handlers"
	"github.com/seatplan/seatplan/static"
	"github.com/seatplan/seatplan/store"
)

// addRoutes lists every route of Seatplan, one per line.
func addRoutes(mux *http.ServeMux, d Deps) {
	st, sess := d.Store, d.Sessions
	// Who may call what. Admins run plans, assignments, enrollments and
	// people; support sees everything, updates plan terms, undoes changes
	// and releases locks; authors work on the courses they are staff of.
	// Course rights within a course (who edits, who undoes) are checked by
	// the store, since they depend on the course's staff. The
	// authorization-matrix test holds every route here to its rule.
	signedIn := requirePerson()
	staff := requirePerson(store.RoleAdmin, store.RoleSupport)
	admin := requirePerson(store.RoleAdmin)
	anyClient := requireClient(st)
	courseStaff := requirePerson(store.RoleAuthor, store.RoleSupport, store.RoleAdmin)
	courseEditor := requirePerson(store.RoleAuthor, store.RoleAdmin)
	courseClient := requireClient(st, store.RoleAuthor, store.RoleSupport, store.RoleAdmin)
	courseEditorClient := requireClient(st, store.RoleAuthor, store.RoleAdmin)
	staffClient := requireClient(st, store.RoleAdmin, store.RoleSupport)
	adminClient := requireClient(st, store.RoleAdmin)

	mux.Handle("GET /healthz", quiet(handlers.Health(st)))
	mux.Handle("GET /readyz", quiet(handlers.Ready(st, d.Licenses)))
	mux.Handle("GET /metrics", quiet(handlers.Metrics(scrape(d.Metrics), d.MetricsToken)))
	mux.Handle("GET /static/", quiet(http.StripPrefix("/static/", static.Handler())))

	mux.Handle("GET /login", handlers.LoginPage())
	mux.Handle("POST /login", handlers.Login(st, sess, d.clientAddress))
	mux.Handle("POST /logout", signedIn(handlers.Logout(st, sess)))
	mux.Handle("GET /account", signedIn(handlers.AccountPage()))
	mux.Handle("POST /account/password", signedIn(handlers.ChangePasswordPage(st, sess, d.clientAddress)))

	mux.Handle("GET /{$}", signedIn(handlers.DashboardPage(st)))
	mux.Handle("GET /audit", staff(handlers.AuditLogPage(st)))
	mux.Handle("GET /locks", staff(handlers.LocksPage(st, st.Now)))
	mux.Handle("GET /people", admin(handlers.PeoplePage(st)))
	mux.Handle("POST /people", admin(handlers.AddPerson(st)))
	mux.Handle("POST /people/{id}/role", admin(handlers.ChangePersonRole(st, sess)))
	mux.Handle("POST /people/{id}/deactivate", admin(handlers.DeactivatePersonPage(st, sess)))
	mux.Handle("GET /clients", admin(handlers.ClientsPage(st)))
	mux.Handle("POST /clients", admin(handlers.CreateClientPage(st)))
	mux.Handle("POST /clients/{id}/rotate", admin(handlers.RotateClientPage(st, sess)))
	mux.Handle("POST /clients/{id}/revoke", admin(handlers.RevokeClientPage(st, sess)))

	mux.Handle("GET /plans", staff(handlers.PlansPage(st)))
	mux.Handle("POST /plans", admin(handlers.CreatePlanPage(st, sess)))
	mux.Handle("GET /plans/{id}", staff(handlers.PlanPage(st, st, st.Now)))
	mux.Handle("POST /plans/{id}", staff(handlers.UpdatePlanPage(st, sess, st.Now)))
	mux.Handle("GET /plans/{id}/licenses.csv", staff(handlers.LicensesCSV(st)))
	mux.Handle("POST /plans/{id}/revocations", admin(handlers.RevokeLicensesPage(st, sess)))
	mux.Handle("POST /plans/{id}/revocations/preview", admin(handlers.PreviewRevocationPage(st, d.Lists, st.Now)))
	mux.Handle("GET /plans/{id}/revocations/previews/{list}", admin(handlers.RevocationPreviewPage(st, d.Lists, st.Now)))
	mux.Handle("POST /plans/{id}/revocations/list", admin(handlers.RevokeListPage(st, d.Jobs, d.Lists, d.LeaseTTL, st.Now)))
	mux.Handle("GET /plans/{id}/assignments/new", admin(handlers.NewAssignmentPage(st, st.Now)))
	mux.Handle("POST /plans/{id}/assignments/preview", admin(handlers.PreviewAssignmentPage(st, d.Lists, st.Now)))
	mux.Handle("GET /plans/{id}/assignments/previews/{preview}", admin(handlers.AssignmentPreviewPage(st, d.Lists, st.Now)))
	mux.Handle("POST /plans/{id}/assignments", admin(handlers.AssignLicensesPage(st, d.Jobs, d.Lists, d.LeaseTTL, st.Now)))
	mux.Handle("GET /plans/{id}/jobs/{job}", staff(handlers.JobProgressPage(st, st.Now)))
	mux.Handle("POST /plans/{id}/jobs/{job}/cancel", admin(handlers.CancelJobPage(st, st.Now)))
	mux.Handle("GET /plans/{id}/lock", staff(handlers.PlanLock(st, st.Now)))
	mux.Handle("POST /locks/{name}/release", staff(handlers.ReleaseLockPage(st, sess)))
	mux.Handle("GET /plans/{id}/instances", staff(handlers.PlanInstancesPage(st)))
	mux.Handle("POST /plans/{id}/instances/limit", admin(handlers.SetInstancesPerLicense(st, sess)))
	mux.Handle("POST /plans/{id}/instances/{activation}/deactivate", admin(handlers.DeactivateInstance(st, sess)))

	mux.Handle("GET /enrollments", staff(handlers.EnrollmentsPage(st)))
	mux.Handle("POST /enrollments/preview", admin(handlers.PreviewEnrollmentsPage(st, d.Lists)))
	mux.Handle("GET /enrollments/previews/{preview}", admin(handlers.EnrollmentPreviewPage(st, d.Lists)))
	mux.Handle("POST /enrollments", admin(handlers.ConfirmEnrollmentsPage(st, d.Lists)))
	mux.Handle("GET /enrollments/results/{name}", staff(handlers.EnrollmentResultPage(st)))
	mux.Handle("GET /enrollments/courses/{key}", staff(handlers.CourseLearnersPage(st)))
	mux.Handle("POST /enrollments/courses/{key}/unenroll", admin(handlers.UnenrollPage(st, sess)))
	mux.Handle("GET /plans/{id}/courses", staff(handlers.PlanCoursesPage(st)))
	mux.Handle("POST /plans/{id}/courses", admin(handlers.LinkPlanCoursePage(st)))
	mux.Handle("POST /plans/{id}/courses/{key}/unlink", admin(handlers.UnlinkPlanCoursePage(st)))
	mux.Handle("POST /plans/{id}/courses/enroll", admin(handlers.EnrollPlanLicenseesPage(st)))

	mux.Handle("GET /courses", courseStaff(handlers.CoursesPage(st)))
	mux.Handle("POST /courses", courseEditor(handlers.CreateCoursePage(st)))
	mux.Handle("GET /courses/{course}", courseStaff(handlers.CoursePage(st, st.Now)))
	mux.Handle("POST /courses/{course}/blocks/{block}/edit", courseEditor(handlers.EditBlockPage(st, sess, st.Now)))
	mux.Handle("POST /courses/{course}/blocks/{block}/add", courseEditor(handlers.AddBlockPage(st, sess)))
	mux.Handle("POST /courses/{course}/blocks/{block}/reorder", courseEditor(handlers.ReorderBlockPage(st, sess)))
	mux.Handle("POST /courses/{course}/blocks/{block}/delete", courseEditor(handlers.DeleteBlockPage(st, sess)))
	mux.Handle("GET /courses/{course}/blocks/{block}/changes", courseStaff(handlers.BlockChangesPage(st)))
	mux.Handle("GET /courses/{course}/lock", courseStaff(handlers.CourseLock(st, st.Now)))
	mux.Handle("POST /courses/{course}/staff", admin(handlers.AddCourseStaffPage(st, sess, st.Now)))
	mux.Handle("POST /courses/{course}/staff/remove", admin(handlers.RemoveCourseStaffPage(st, sess)))
	mux.Handle("GET /courses/{course}/history", courseStaff(handlers.HistoryPage(st)))
	mux.Handle("POST /courses/{course}/history/{version}/undo", courseStaff(handlers.UndoPage(st, sess)))
	mux.Handle("GET /courses/{course}/operations/{op}", courseStaff(handlers.OperationPage(st)))
	mux.Handle("GET /courses/{course}/operations/{op}/undo", courseStaff(handlers.UndoOperationPreviewPage(st, sess)))
	mux.Handle("POST /courses/{course}/operations/{op}/undo", courseStaff(handlers.UndoOperationPage(st, sess)))
	mux.Handle("GET /courses/{course}/restore", courseStaff(handlers.RestorePreviewPage(st, sess)))
	mux.Handle("POST /courses/{course}/restore", courseStaff(handlers.RestoreCoursePage(st, sess)))
	mux.Handle("GET /courses/{course}/tree", courseStaff(handlers.PastTreePage(st)))

	mux.Handle("POST /oauth/token", handlers.Token(st, d.TokenTTL))
	mux.Handle("GET /api/v1/openapi.json", handlers.OpenAPI())
	mux.Handle("GET /api/v1/me", anyClient(handlers.MeAPI()))
	mux.Handle("POST /api/v1/enrollments", adminClient(handlers.EnrollAPI(st, d.Lists)))

	// Client instances: the activation secret is their bearer, not an OAuth token.
	mux.Handle("POST /api/v1/activations", handlers.Activate(st, d.Licenses))
	mux.Handle("GET /api/v1/activations/{id}/license", handlers.ActivationLicense(d.Licenses))
	mux.Handle("GET /api/v1/license-signing-key", handlers.LicenseSigningKey(d.Keyring))

	mux.Handle("GET /api/v1/jobs/{id}", anyClient(handlers.JobStatus(st)))
	mux.Handle("POST /api/v1/jobs/{id}/cancel", anyClient(handlers.CancelJobAPI(st)))

	mux.Handle("GET /api/v1/plans", staffClient(handlers.ListPlansAPI(st)))
	mux.Handle("POST /api/v1/plans", adminClient(handlers.CreatePlanAPI(st)))
	mux.Handle("GET /api/v1/plans/{id}", staffClient(handlers.PlanAPI(st)))
	mux.Handle("PATCH /api/v1/plans/{id}", staffClient(handlers.UpdatePlanAPI(st)))
	mux.Handle("GET /api/v1/plans/{id}/licenses", staffClient(handlers.ListLicensesAPI(st)))
	mux.Handle("POST /api/v1/plans/{id}/assignments", adminClient(handlers.AssignLicensesAPI(st, d.Jobs, d.Lists, d.LeaseTTL)))
	mux.Handle("POST /api/v1/plans/{id}/revocations", adminClient(handlers.RevokeLicensesAPI(st)))

	mux.Handle("POST /api/v1/courses", courseEditorClient(handlers.CreateCourseAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/blocks", courseEditorClient(handlers.CreateBlockAPI(st)))
	mux.Handle("GET /api/v1/courses/{course}/blocks/{block}", courseClient(handlers.BlockAPI(st)))
	mux.Handle("PATCH /api/v1/courses/{course}/blocks/{block}", courseEditorClient(handlers.UpdateBlockAPI(st)))
	mux.Handle("DELETE /api/v1/courses/{course}/blocks/{block}", courseEditorClient(handlers.DeleteBlockAPI(st)))
	mux.Handle("PUT /api/v1/courses/{course}/blocks/{block}/children", courseEditorClient(handlers.ReorderChildrenAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/blocks/{block}/restore", courseClient(handlers.RestoreBlockAPI(st)))
	mux.Handle("GET /api/v1/courses/{course}/history", courseClient(handlers.HistoryAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/import", courseEditorClient(handlers.ImportCourseAPI(st, d.Jobs, d.LeaseTTL)))
	mux.Handle("GET /api/v1/courses/{course}/operations", courseClient(handlers.OperationsAPI(st)))
	mux.Handle("GET /api/v1/courses/{course}/operations/{op}", courseClient(handlers.OperationAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/operations/{op}/revert", courseClient(handlers.RevertOperationAPI(st)))
	mux.Handle("GET /api/v1/courses/{course}/tree", courseClient(handlers.CourseTreeAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/revert", courseClient(handlers.RestoreCourseAPI(st)))

	mux.Handle("/", handlers.NotFound(mux))
}
