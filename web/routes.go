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
	signedIn := requirePerson()
	staff := requirePerson(store.RoleAdmin, store.RoleSupport)
	support := requirePerson(store.RoleSupport)
	anyClient := requireClient(st)
	courseStaff := requirePerson(store.RoleAuthor, store.RoleSupport, store.RoleAdmin)
	courseClient := requireClient(st, store.RoleAuthor, store.RoleSupport, store.RoleAdmin)
	staffClient := requireClient(st, store.RoleAdmin, store.RoleSupport)

	mux.Handle("GET /healthz", handlers.Health(st))
	mux.Handle("GET /readyz", handlers.Ready(st, d.Licenses))
	mux.Handle("GET /metrics", handlers.Metrics(scrape(d.Metrics), d.MetricsToken))
	mux.Handle("GET /static/", http.StripPrefix("/static/", static.Handler()))

	mux.Handle("GET /login", handlers.LoginPage())
	mux.Handle("POST /login", handlers.Login(st, sess))
	mux.Handle("POST /logout", signedIn(handlers.Logout(st, sess)))
	mux.Handle("GET /account", signedIn(handlers.AccountPage()))
	mux.Handle("POST /account/password", signedIn(handlers.ChangePasswordPage(st, sess)))

	mux.Handle("GET /{$}", signedIn(handlers.DashboardPage(st)))
	mux.Handle("GET /audit", staff(handlers.AuditLogPage(st)))
	mux.Handle("GET /locks", staff(handlers.LocksPage(st, st.Now)))

	mux.Handle("GET /plans", staff(handlers.PlansPage(st)))
	mux.Handle("POST /plans", staff(handlers.CreatePlanPage(st, sess)))
	mux.Handle("GET /plans/{id}", staff(handlers.PlanPage(st, st, st.Now)))
	mux.Handle("POST /plans/{id}", staff(handlers.UpdatePlanPage(st, sess, st.Now)))
	mux.Handle("GET /plans/{id}/licenses.csv", staff(handlers.LicensesCSV(st)))
	mux.Handle("POST /plans/{id}/revocations", staff(handlers.RevokeLicensesPage(st, sess)))
	mux.Handle("GET /plans/{id}/assignments/new", staff(handlers.NewAssignmentPage(st, st.Now)))
	mux.Handle("POST /plans/{id}/assignments/preview", staff(handlers.PreviewAssignmentPage(st, d.Lists, st.Now)))
	mux.Handle("GET /plans/{id}/assignments/previews/{preview}", staff(handlers.AssignmentPreviewPage(st, d.Lists, st.Now)))
	mux.Handle("POST /plans/{id}/assignments", staff(handlers.AssignLicensesPage(st, d.Jobs, d.Lists, d.LeaseTTL, st.Now)))
	mux.Handle("GET /plans/{id}/jobs/{job}", staff(handlers.JobProgressPage(st)))
	mux.Handle("POST /locks/{name}/release", support(handlers.ReleaseLockPage(st, sess)))
	mux.Handle("GET /plans/{id}/instances", staff(handlers.PlanInstancesPage(st)))

	mux.Handle("GET /enrollments", staff(handlers.EnrollmentsPage(st)))
	mux.Handle("POST /enrollments/preview", staff(handlers.PreviewEnrollmentsPage(st, d.Lists)))
	mux.Handle("GET /enrollments/previews/{preview}", staff(handlers.EnrollmentPreviewPage(st, d.Lists)))
	mux.Handle("POST /enrollments", staff(handlers.ConfirmEnrollmentsPage(st, d.Lists)))
	mux.Handle("GET /enrollments/results/{name}", staff(handlers.EnrollmentResultPage(st)))
	mux.Handle("GET /enrollments/courses/{key}", staff(handlers.CourseLearnersPage(st)))
	mux.Handle("POST /enrollments/courses/{key}/unenroll", staff(handlers.UnenrollPage(st, sess)))
	mux.Handle("GET /plans/{id}/courses", staff(handlers.PlanCoursesPage(st)))
	mux.Handle("POST /plans/{id}/courses", staff(handlers.LinkPlanCoursePage(st)))
	mux.Handle("POST /plans/{id}/courses/{key}/unlink", staff(handlers.UnlinkPlanCoursePage(st)))
	mux.Handle("POST /plans/{id}/courses/enroll", staff(handlers.EnrollPlanLicenseesPage(st)))

	mux.Handle("GET /courses", courseStaff(handlers.CoursesPage(st)))
	mux.Handle("POST /courses", courseStaff(handlers.CreateCoursePage(st)))
	mux.Handle("GET /courses/{course}", courseStaff(handlers.CoursePage(st)))
	mux.Handle("POST /courses/{course}/blocks/{block}/edit", courseStaff(handlers.EditBlockPage(st, sess)))
	mux.Handle("POST /courses/{course}/blocks/{block}/add", courseStaff(handlers.AddBlockPage(st, sess)))
	mux.Handle("POST /courses/{course}/blocks/{block}/reorder", courseStaff(handlers.ReorderBlockPage(st, sess)))
	mux.Handle("POST /courses/{course}/blocks/{block}/delete", courseStaff(handlers.DeleteBlockPage(st, sess)))
	mux.Handle("GET /courses/{course}/blocks/{block}/changes", courseStaff(handlers.BlockChangesPage(st)))
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
	mux.Handle("POST /api/v1/enrollments", staffClient(handlers.EnrollAPI(st, d.Lists)))

	// Client instances: the activation secret is their bearer, not an OAuth token.
	mux.Handle("POST /api/v1/activations", handlers.Activate(st, d.Licenses))
	mux.Handle("GET /api/v1/activations/{id}/license", handlers.ActivationLicense(d.Licenses))
	mux.Handle("GET /api/v1/license-signing-key", handlers.LicenseSigningKey(d.Keyring))

	mux.Handle("GET /api/v1/jobs/{id}", anyClient(handlers.JobStatus(st)))

	mux.Handle("GET /api/v1/plans", staffClient(handlers.ListPlansAPI(st)))
	mux.Handle("POST /api/v1/plans", staffClient(handlers.CreatePlanAPI(st)))
	mux.Handle("GET /api/v1/plans/{id}", staffClient(handlers.PlanAPI(st)))
	mux.Handle("PATCH /api/v1/plans/{id}", staffClient(handlers.UpdatePlanAPI(st)))
	mux.Handle("GET /api/v1/plans/{id}/licenses", staffClient(handlers.ListLicensesAPI(st)))
	mux.Handle("POST /api/v1/plans/{id}/assignments", staffClient(handlers.AssignLicensesAPI(st, d.Jobs, d.Lists, d.LeaseTTL)))
	mux.Handle("POST /api/v1/plans/{id}/revocations", staffClient(handlers.RevokeLicensesAPI(st)))

	mux.Handle("POST /api/v1/courses", courseClient(handlers.CreateCourseAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/blocks", courseClient(handlers.CreateBlockAPI(st)))
	mux.Handle("GET /api/v1/courses/{course}/blocks/{block}", courseClient(handlers.BlockAPI(st)))
	mux.Handle("PATCH /api/v1/courses/{course}/blocks/{block}", courseClient(handlers.UpdateBlockAPI(st)))
	mux.Handle("DELETE /api/v1/courses/{course}/blocks/{block}", courseClient(handlers.DeleteBlockAPI(st)))
	mux.Handle("PUT /api/v1/courses/{course}/blocks/{block}/children", courseClient(handlers.ReorderChildrenAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/blocks/{block}/restore", courseClient(handlers.RestoreBlockAPI(st)))
	mux.Handle("GET /api/v1/courses/{course}/history", courseClient(handlers.HistoryAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/import", courseClient(handlers.ImportCourseAPI(st, d.Jobs, d.LeaseTTL)))
	mux.Handle("GET /api/v1/courses/{course}/operations", courseClient(handlers.OperationsAPI(st)))
	mux.Handle("GET /api/v1/courses/{course}/operations/{op}", courseClient(handlers.OperationAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/operations/{op}/revert", courseClient(handlers.RevertOperationAPI(st)))
	mux.Handle("GET /api/v1/courses/{course}/tree", courseClient(handlers.CourseTreeAPI(st)))
	mux.Handle("POST /api/v1/courses/{course}/revert", courseClient(handlers.RestoreCourseAPI(st)))

	mux.Handle("/", handlers.NotFound(mux))
}
