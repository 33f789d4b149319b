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
	staffClient := requireClient(st, store.RoleAdmin, store.RoleSupport)
	lists := handlers.ListLimits{MaxBytes: d.MaxUploadBytes, MaxEntries: d.MaxListEntries}

	mux.Handle("GET /healthz", handlers.Health(st))
	mux.Handle("GET /static/", http.StripPrefix("/static/", static.Handler()))

	mux.Handle("GET /login", handlers.LoginPage())
	mux.Handle("POST /login", handlers.Login(st, sess))
	mux.Handle("POST /logout", signedIn(handlers.Logout(st, sess)))
	mux.Handle("GET /account", signedIn(handlers.Account()))
	mux.Handle("POST /account/password", signedIn(handlers.ChangePassword(st, sess)))

	mux.Handle("GET /{$}", signedIn(handlers.Dashboard(st)))
	mux.Handle("GET /audit", staff(handlers.AuditLog(st)))
	mux.Handle("GET /locks", staff(handlers.Locks(st, st.Now)))
	mux.Handle("POST /locks/{name}/release", support(handlers.ReleaseLock(st, sess)))
	mux.Handle("GET /plans/{id}/instances", staff(handlers.PlanInstances(st)))

	mux.Handle("GET /enrollments", staff(handlers.Enrollments(st)))
	mux.Handle("POST /enrollments/preview", staff(handlers.PreviewEnrollments(st, lists)))
	mux.Handle("POST /enrollments", staff(handlers.ConfirmEnrollments(st, lists)))
	mux.Handle("GET /enrollments/results/{name}", staff(handlers.EnrollmentResult(st)))
	mux.Handle("GET /enrollments/courses/{key}", staff(handlers.CourseLearners(st)))
	mux.Handle("POST /enrollments/courses/{key}/unenroll", staff(handlers.Unenroll(st, sess)))
	mux.Handle("GET /plans/{id}/courses", staff(handlers.PlanCourses(st)))
	mux.Handle("POST /plans/{id}/courses", staff(handlers.LinkPlanCourse(st)))
	mux.Handle("POST /plans/{id}/courses/{key}/unlink", staff(handlers.UnlinkPlanCourse(st)))
	mux.Handle("POST /plans/{id}/courses/enroll", staff(handlers.EnrollPlanLicensees(st)))

	mux.Handle("POST /oauth/token", handlers.Token(st, d.TokenTTL))
	mux.Handle("GET /api/v1/me", anyClient(handlers.Me()))
	mux.Handle("POST /api/v1/enrollments", staffClient(handlers.EnrollAPI(st, lists)))

	// Client instances: the activation secret is their bearer, not an OAuth token.
	mux.Handle("POST /api/v1/activations", handlers.Activate(st, d.Licenses))
	mux.Handle("GET /api/v1/activations/{id}/license", handlers.ActivationLicense(d.Licenses))
	mux.Handle("GET /api/v1/license-signing-key", handlers.LicenseSigningKey(d.Keyring))

	mux.Handle("/", handlers.NotFound())
}
