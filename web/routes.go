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

	mux.Handle("GET /plans", staff(handlers.PlansPage(st)))
	mux.Handle("POST /plans", staff(handlers.CreatePlanPage(st, sess)))
	mux.Handle("GET /plans/{id}", staff(handlers.PlanPage(st, st, st.Now)))
	mux.Handle("POST /plans/{id}", staff(handlers.UpdatePlanPage(st, sess, st.Now)))
	mux.Handle("GET /plans/{id}/licenses.csv", staff(handlers.LicensesCSV(st)))
	mux.Handle("POST /plans/{id}/revocations", staff(handlers.RevokeLicensesPage(st, sess)))
	mux.Handle("POST /plans/{id}/assignments/preview", staff(handlers.PreviewAssignmentPage(st, d.Lists, st.Now)))
	mux.Handle("POST /plans/{id}/assignments", staff(handlers.AssignLicensesPage(st, d.Jobs, d.Lists, d.LeaseTTL, st.Now)))
	mux.Handle("GET /plans/{id}/jobs/{job}", staff(handlers.JobProgress(st)))
	mux.Handle("POST /locks/{name}/release", support(handlers.ReleaseLock(st, sess)))

	mux.Handle("POST /oauth/token", handlers.Token(st, d.TokenTTL))
	mux.Handle("GET /api/v1/me", anyClient(handlers.Me()))
	mux.Handle("GET /api/v1/jobs/{id}", anyClient(handlers.JobStatus(st)))

	mux.Handle("GET /api/v1/plans", staffClient(handlers.ListPlansAPI(st)))
	mux.Handle("POST /api/v1/plans", staffClient(handlers.CreatePlanAPI(st)))
	mux.Handle("GET /api/v1/plans/{id}", staffClient(handlers.PlanAPI(st)))
	mux.Handle("PATCH /api/v1/plans/{id}", staffClient(handlers.UpdatePlanAPI(st)))
	mux.Handle("GET /api/v1/plans/{id}/licenses", staffClient(handlers.ListLicensesAPI(st)))
	mux.Handle("POST /api/v1/plans/{id}/assignments", staffClient(handlers.AssignLicensesAPI(st, d.Jobs, d.Lists, d.LeaseTTL)))
	mux.Handle("POST /api/v1/plans/{id}/revocations", staffClient(handlers.RevokeLicensesAPI(st)))

	mux.Handle("/", handlers.NotFound())
}
