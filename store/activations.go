package store

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// ActivationLicense is what a signed license document is made of: one
// activation of a license, the license and its plan's terms.
type ActivationLicense struct {
	ActivationID string
	InstanceID   string
	// Revoked is true when the activation itself was revoked; its secret
	// then no longer works.
	Revoked   bool
	LicenseID int64
	Status    LicenseStatus
	Email     string
	PlanID    string
	PlanName  string
	Seats     int
	ExpiresAt time.Time
	// ChangedAt is greatest(license changed_at, plan terms_changed_at): it
	// names one version of the signed document.
	ChangedAt  time.Time
	secretHash []byte
}

// LicenseKey is the license id as the signed document carries it.
func (a ActivationLicense) LicenseKey() string { return strconv.FormatInt(a.LicenseID, 10) }

// SecretMatches reports whether secret is the activation's current secret,
// in constant time. A cache of ActivationLicense can check secrets with it
// without asking the database.
func (a ActivationLicense) SecretMatches(secret string) bool {
	return !a.Revoked && len(a.secretHash) > 0 && subtle.ConstantTimeCompare(a.secretHash, hashSecret(secret)) == 1
}

// Activation is the answer to a successful activation. Secret is shown
// only here: the database keeps its hash.
type Activation struct {
	ID     string
	Secret string
	// Renewed is true when this instance had activated the license before:
	// the activation id stays and the secret is replaced.
	Renewed bool
	License ActivationLicense
}

// Limits of what an instance sends; beyond them the input is malformed.
const (
	maxLicenseKeyLength = 200
	maxInstanceIDLength = 200
)

const activationLicenseColumns = `a.id, a.instance_id, a.revoked_at IS NOT NULL, a.secret_hash,
	l.id, l.status::text, l.email, p.id, p.name, p.seats, p.expires_at, greatest(l.changed_at, p.terms_changed_at)
	FROM activations a JOIN licenses l ON l.id = a.license_id JOIN plans p ON p.key = l.plan_key`

func scanActivationLicense(row pgx.Row) (ActivationLicense, error) {
	var a ActivationLicense
	err := row.Scan(&a.ActivationID, &a.InstanceID, &a.Revoked, &a.secretHash,
		&a.LicenseID, &a.Status, &a.Email, &a.PlanID, &a.PlanName, &a.Seats, &a.ExpiresAt, &a.ChangedAt)
	return a, err
}

// visibleASCII accepts 1..max printable, non-space ASCII characters: what a
// license key or instance id may be made of.
func visibleASCII(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// MaxInstancesPerLicense bounds a plan's instances per license.
const MaxInstancesPerLicense = 1000

// Activate binds the license holding licenseKey to instanceID and returns
// a new secret for the instance. An instance that holds a live activation
// of the license renews it only with its current secret (the activation id
// stays, the secret is replaced): whoever merely knows the license key
// cannot take the instance over. A new instance is activated only while the
// license is live on fewer instances than its plan allows. Revoked licenses
// and those of expired plans cannot be activated.
func (s *Store) Activate(ctx context.Context, licenseKey, instanceID, secret string) (Activation, error) {
	problems := map[string]string{}
	if !visibleASCII(licenseKey, maxLicenseKeyLength) {
		problems["license_key"] = fmt.Sprintf("The license key must be 1 to %d visible ASCII characters without spaces.", maxLicenseKeyLength)
	}
	if !visibleASCII(instanceID, maxInstanceIDLength) {
		problems["instance_id"] = fmt.Sprintf("The instance id must be 1 to %d visible ASCII characters without spaces.", maxInstanceIDLength)
	}
	if len(problems) > 0 {
		return Activation{}, &Error{Code: EInvalid, Reason: ReasonInvalidActivation, Message: joinProblems(problems, "license_key", "instance_id"),
			Detail: FieldProblems(problems)}
	}
	// A key no license can have (not 32 hex digits) needs no query to be refused.
	key, wellFormed := parseActivationKey(licenseKey)
	if !wellFormed {
		return Activation{}, errUnknownLicenseKey
	}
	act := Activation{Secret: newSecret()}
	now := s.Now()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The license row lock serialises activations of one license with
		// each other, with deactivations and with its revocation, so the
		// count of live instances below cannot be raced. The plan lock is
		// not taken: activating moves a seat from assigned to activated,
		// both in use, so no seat count changes, and an activation must not
		// wait behind a bulk assignment.
		var licenseID int64
		var status LicenseStatus
		var planID string
		var planExpires time.Time
		var perLicense int
		err := tx.QueryRow(ctx, `SELECT l.id, l.status::text, p.id, p.expires_at, p.instances_per_license FROM licenses l JOIN plans p ON p.key = l.plan_key
			WHERE l.activation_key = $1 FOR UPDATE OF l`, key).Scan(&licenseID, &status, &planID, &planExpires, &perLicense)
		if errors.Is(err, pgx.ErrNoRows) {
			return errUnknownLicenseKey
		}
		if err != nil {
			return fmt.Errorf("find license by key: %w", err)
		}
		switch {
		case status == LicenseRevoked:
			return &Error{Code: EForbidden, Reason: ReasonLicenseRevoked, Message: "This license was revoked and cannot be activated; ask your administrator for a new one."}
		case !now.Before(planExpires):
			return &Error{Code: EConflict, Reason: ReasonLicenseExpired,
				Message: fmt.Sprintf("This license's plan expired on %s; it cannot be activated until the plan is extended.", planExpires.UTC().Format(time.DateOnly))}
		}
		var held []byte
		err = tx.QueryRow(ctx, `SELECT id, secret_hash FROM activations WHERE license_id = $1 AND instance_id = $2 AND revoked_at IS NULL`,
			licenseID, instanceID).Scan(&act.ID, &held)
		switch {
		case err == nil:
			if err := renewalAllowed(held, secret, planID); err != nil {
				return err
			}
			act.Renewed = true
			if _, err := tx.Exec(ctx, `UPDATE activations SET secret_hash = $2 WHERE id = $1`, act.ID, hashSecret(act.Secret)); err != nil {
				return fmt.Errorf("renew activation: %w", err)
			}
		case errors.Is(err, pgx.ErrNoRows):
			// Invariant: at most instances_per_license live activations per
			// license, checked in the insert itself under the row lock.
			// (activations_live_key keeps one per license and instance.)
			act.ID = NewID()
			tag, err := tx.Exec(ctx, `INSERT INTO activations (id, license_id, instance_id, secret_hash, created_at)
				SELECT $1, $2, $3, $4, $5
				WHERE (SELECT count(*) FROM activations WHERE license_id = $2 AND revoked_at IS NULL) < $6`,
				act.ID, licenseID, instanceID, hashSecret(act.Secret), now, perLicense)
			if err != nil {
				return fmt.Errorf("record activation: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return activationLimit(planID, perLicense)
			}
		default:
			return fmt.Errorf("find activation of instance: %w", err)
		}
		// The BEFORE UPDATE trigger moves changed_at with the status.
		if _, err := tx.Exec(ctx, `UPDATE licenses SET status = 'activated', activated_at = $2 WHERE id = $1 AND status = 'assigned'`,
			licenseID, now); err != nil {
			return fmt.Errorf("mark license activated: %w", err)
		}
		if act.License, err = scanActivationLicense(tx.QueryRow(ctx, `SELECT `+activationLicenseColumns+` WHERE a.id = $1`, act.ID)); err != nil {
			return fmt.Errorf("read activation: %w", err)
		}
		verb, action := "Activated", "activation.create"
		if act.Renewed {
			verb, action = "Renewed the activation of", "activation.renew"
		}
		return writeAudit(ctx, tx, AuditEntry{
			Actor:  Actor{Kind: ActorSystem, ID: "instance:" + instanceID, Name: "instance " + instanceID},
			Action: action, SubjectType: "license", SubjectID: act.License.LicenseKey(),
			Summary: fmt.Sprintf("%s license of %s (plan %s) on instance %s", verb, act.License.Email, act.License.PlanName, instanceID),
			Detail:  map[string]any{"activation_id": act.ID, "instance_id": instanceID, "plan_id": act.License.PlanID},
		})
	})
	if err != nil {
		return Activation{}, err
	}
	return act, nil
}

var errUnknownLicenseKey = &Error{Code: ENotFound, Reason: ReasonUnknownLicenseKey,
	Message: "No license has this license key; check it against the key your administrator sent."}

// renewalAllowed admits a renewal only with the activation's current secret.
func renewalAllowed(held []byte, secret, planID string) error {
	if secret == "" {
		return &Error{Code: EConflict, Reason: ReasonInstanceAlreadyActivated,
			Message: "This instance already holds an activation of this license. To renew it, send its current activation secret " +
				"as Authorization: Bearer <secret>; if the secret is lost, an administrator deactivates the instance on the plan's instances page first.",
			Detail: InstancesOfPlan{PlanID: planID}}
	}
	if subtle.ConstantTimeCompare(held, hashSecret(secret)) != 1 {
		return ErrActivationSecret
	}
	return nil
}

func activationLimit(planID string, perLicense int) error {
	instances := "1 instance"
	if perLicense != 1 {
		instances = fmt.Sprintf("%d instances", perLicense)
	}
	return &Error{Code: EConflict, Reason: ReasonActivationLimit,
		Message: fmt.Sprintf("This license is already active on %s, the most its plan allows. To free one, an administrator deactivates an instance "+
			"on the plan's instances page, or raises the plan's instances per license.", instances),
		Detail: InstancesOfPlan{PlanID: planID, Limit: perLicense}}
}

// DeactivateInstance ends one activation of a plan's license: its secret
// stops working at once (in every process, through the change
// notification) and the license may be activated on another instance.
func (s *Store) DeactivateInstance(ctx context.Context, planID, activationID string, by Actor) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var licenseID int64
		var instanceID, email string
		// The license row lock first, as Activate takes it.
		err := tx.QueryRow(ctx, `SELECT l.id, a.instance_id, l.email FROM activations a JOIN licenses l ON l.id = a.license_id
			WHERE a.id = $1 AND a.plan_id = $2 AND a.revoked_at IS NULL FOR UPDATE OF l, a`, activationID, planID).Scan(&licenseID, &instanceID, &email)
		if errors.Is(err, pgx.ErrNoRows) {
			return Errorf(ENotFound, "This plan has no live activation %q; it may have been deactivated already.", activationID)
		}
		if err != nil {
			return fmt.Errorf("find activation %s: %w", activationID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE activations SET revoked_at = $2 WHERE id = $1`, activationID, s.Now()); err != nil {
			return fmt.Errorf("deactivate %s: %w", activationID, err)
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "activation.deactivate", SubjectType: "license", SubjectID: strconv.FormatInt(licenseID, 10),
			Summary: fmt.Sprintf("Deactivated instance %s of the license of %s", instanceID, email),
			Detail:  map[string]any{"activation_id": activationID, "instance_id": instanceID, "plan_id": planID}})
	})
}

// InstancesPerLicense is how many instances one license of the plan may be
// active on at once.
func (s *Store) InstancesPerLicense(ctx context.Context, planID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT instances_per_license FROM plans WHERE id = $1`, planID).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, Errorf(ENotFound, "There is no plan %q.", planID)
	}
	if err != nil {
		return 0, fmt.Errorf("read instances per license of plan %s: %w", planID, err)
	}
	return n, nil
}

// SetInstancesPerLicense changes how many instances one license of the plan
// may be active on. Lowering it deactivates nobody: it only refuses new
// activations until enough are deactivated.
func (s *Store) SetInstancesPerLicense(ctx context.Context, planID string, n int, by Actor) error {
	if n < 1 || n > MaxInstancesPerLicense {
		return &Error{Code: EInvalid, Reason: ReasonInvalidPlan, Message: fmt.Sprintf("Instances per license must be between 1 and %d.", MaxInstancesPerLicense),
			Detail: FieldProblems{"instances_per_license": "out of range"}}
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var old int
		var name string
		err := tx.QueryRow(ctx, `UPDATE plans p SET instances_per_license = $2 FROM plans o WHERE p.id = $1 AND o.id = p.id
			RETURNING o.instances_per_license, p.name`, planID, n).Scan(&old, &name)
		if errors.Is(err, pgx.ErrNoRows) {
			return Errorf(ENotFound, "There is no plan %q.", planID)
		}
		if err != nil {
			return fmt.Errorf("set instances per license of plan %s: %w", planID, err)
		}
		if old == n {
			return nil
		}
		return writeAudit(ctx, tx, AuditEntry{Actor: by, Action: "plan.update", SubjectType: "plan", SubjectID: planID,
			Summary: fmt.Sprintf("Changed plan %s: instances per license %d → %d", name, old, n),
			Detail:  map[string]any{"before": map[string]any{"instances_per_license": old}, "after": map[string]any{"instances_per_license": n}}})
	})
}

func joinProblems(problems map[string]string, order ...string) string {
	msg := ""
	for _, field := range order {
		if m, ok := problems[field]; ok {
			if msg != "" {
				msg += " "
			}
			msg += m
		}
	}
	return msg
}

// ActivationLicenseByID reads an activation with its license and plan
// terms, without checking any secret: the caller checks one with
// SecretMatches (the license cache keeps the result to do so later).
func (s *Store) ActivationLicenseByID(ctx context.Context, id string) (ActivationLicense, error) {
	a, err := scanActivationLicense(s.pool.QueryRow(ctx, `SELECT `+activationLicenseColumns+` WHERE a.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return ActivationLicense{}, ErrUnknownActivation
	}
	if err != nil {
		return ActivationLicense{}, fmt.Errorf("read activation %s: %w", id, err)
	}
	return a, nil
}

// ErrUnknownActivation answers an activation id that names no activation.
var ErrUnknownActivation = &Error{Code: ENotFound, Reason: ReasonUnknownActivation, Message: "There is no activation with this id; activate the license again."}

// ErrActivationSecret answers a wrong, missing or revoked activation secret
// (see ActivationLicense.SecretMatches).
var ErrActivationSecret = &Error{Code: EUnauthorized, Reason: ReasonWrongActivationSecret,
	Message: "The activation secret is wrong or was replaced; send the secret of the latest activation as Authorization: Bearer <secret>."}

// RecordActivationRefreshes stores when each activation last fetched its
// license, in one statement for a whole batch: refreshes are counted in
// memory and written every few seconds, so the cheap refresh path does not
// write at all. Times only move forward.
func (s *Store) RecordActivationRefreshes(ctx context.Context, seen map[string]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	ids := make([]string, 0, len(seen))
	ats := make([]time.Time, 0, len(seen))
	for id, at := range seen {
		ids = append(ids, id)
		ats = append(ats, at)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE activations a SET last_refresh_at = v.at
		FROM unnest($1::text[], $2::timestamptz[]) AS v(id, at)
		WHERE a.id = v.id AND (a.last_refresh_at IS NULL OR a.last_refresh_at < v.at)`, ids, ats); err != nil {
		return fmt.Errorf("record %d activation refreshes: %w", len(ids), err)
	}
	return nil
}

// InstanceActivity is one activated instance of a plan, for the plan page.
type InstanceActivity struct {
	ActivationID  string
	InstanceID    string
	LicenseID     int64
	Email         string
	Status        LicenseStatus
	ActivatedAt   time.Time
	LastRefreshAt *time.Time // nil: never refreshed since activating
	Revoked       bool
}

// InstancePage is one page of a plan's instances, newest activation first.
type InstancePage struct {
	Plan      Plan
	Instances []InstanceActivity
	// NextBefore is the cursor of the following page; "" at the end.
	NextBefore string
}

// PlanInstances pages through the activations of a plan's licenses by
// activation id, newest first; before is the cursor of the previous page.
func (s *Store) PlanInstances(ctx context.Context, planID, before string, limit int) (InstancePage, error) {
	limit = pageLimit(limit)
	plan, err := s.Plan(ctx, planID)
	if err != nil {
		return InstancePage{}, err
	}
	// activations_plan_idx, read backwards from the cursor: one page of rows.
	args := []any{planID, limit + 1}
	cursor := ""
	if before != "" {
		args, cursor = append(args, before), " AND a.id < $3"
	}
	rows, err := s.pool.Query(ctx, `SELECT a.id, a.instance_id, l.id, l.email, l.status::text, a.created_at, a.last_refresh_at, a.revoked_at IS NOT NULL
		FROM activations a JOIN licenses l ON l.id = a.license_id
		WHERE a.plan_id = $1`+cursor+` ORDER BY a.id DESC LIMIT $2`, args...)
	if err != nil {
		return InstancePage{}, fmt.Errorf("list instances of plan %s: %w", planID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (InstanceActivity, error) {
		var i InstanceActivity
		err := r.Scan(&i.ActivationID, &i.InstanceID, &i.LicenseID, &i.Email, &i.Status, &i.ActivatedAt, &i.LastRefreshAt, &i.Revoked)
		return i, err
	})
	if err != nil {
		return InstancePage{}, fmt.Errorf("list instances of plan %s: %w", planID, err)
	}
	page := InstancePage{Plan: plan}
	page.Instances, page.NextBefore = trimPage(list, limit, func(i InstanceActivity) string { return i.ActivationID })
	return page, nil
}
