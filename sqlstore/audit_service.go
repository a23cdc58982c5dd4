package sqlstore

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// AuditService implements tandem.AuditService. It only reads: entries are
// written by the other services in the transaction of the change they record,
// and nothing in the product edits or deletes them.
type AuditService struct{ db *DB }

// NewAuditService returns the audit service on db.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

var _ tandem.AuditService = (*AuditService)(nil)

// FindAuditEntries implements tandem.AuditService. Provider admins see every
// chain, the provider's included; other provider staff the chains of the
// organisations assigned to them; an organisation's it-admins, it-technicians
// and viewers its chain; requesters nothing (EFORBIDDEN). A filter naming an
// organisation outside the actor's scope finds no entries, as any other
// filter would. Invalid filter values are EBADREQUEST naming the parameter.
func (s *AuditService) FindAuditEntries(ctx context.Context, filter tandem.AuditFilter) ([]*tandem.AuditEntry, string, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	// The permission is the role's, in the actor's own organisation for
	// internal users (or the one organisation their token is restricted
	// to); which organisations' entries exist for them is scope.
	orgID := a.OrganizationID
	if a.OnlyOrganizationID != 0 {
		orgID = a.OnlyOrganizationID
	}
	if err := a.Can(tandem.ActionAuditRead, orgID); err != nil {
		return nil, "", err
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	return findAuditEntries(ctx, tx, a, filter)
}

// auditParties are the actor_party values audit entries hold.
var auditParties = []string{string(tandem.PartyInternal), string(tandem.PartyProvider), "system", "anonymous"}

// auditAction matches an action name ("user.update") or a prefix ending in a
// dot ("user.").
var auditAction = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*\.?$`)

func findAuditEntries(ctx context.Context, tx *Tx, a *tandem.Actor, filter tandem.AuditFilter) ([]*tandem.AuditEntry, string, error) {
	limit, err := pageLimit(filter.Limit)
	if err != nil {
		return nil, "", err
	}
	before, err := parseCursor(filter.Cursor)
	if err != nil {
		return nil, "", err
	}
	scope, args := orgScope(a, "organization_id")
	where := []string{scope}
	if filter.Cursor != "" {
		where, args = append(where, "id < ?"), append(args, before)
	}
	if id := filter.OrganizationID; id != nil {
		if *id <= 0 {
			return nil, "", tandem.Errorf(tandem.EBADREQUEST, "organization_id %d is not an organisation id.", *id)
		}
		where, args = append(where, "organization_id = ?"), append(args, *id)
	}
	if id := filter.ActorUserID; id != nil {
		if *id <= 0 {
			return nil, "", tandem.Errorf(tandem.EBADREQUEST, "actor_user_id %d is not a user id.", *id)
		}
		where, args = append(where, "actor_user_id = ?"), append(args, *id)
	}
	if p := filter.ActorParty; p != nil {
		if !slices.Contains(auditParties, *p) {
			return nil, "", tandem.Errorf(tandem.EBADREQUEST, "party %q is not one of %s.", *p, strings.Join(auditParties, ", "))
		}
		where, args = append(where, "actor_party = ?"), append(args, *p)
	}
	if act := filter.Action; act != nil {
		if len(*act) > 100 || !auditAction.MatchString(*act) {
			return nil, "", tandem.Errorf(tandem.EBADREQUEST, "action %q is neither an action such as user.update nor a prefix ending in a dot such as user.", *act)
		}
		if strings.HasSuffix(*act, ".") {
			where = append(where, "substr(action, 1, "+strconv.Itoa(len(*act))+") = ?")
		} else {
			where = append(where, "action = ?")
		}
		args = append(args, *act)
	}
	if filter.Since != nil && filter.Until != nil && filter.Until.Before(*filter.Since) {
		return nil, "", tandem.Errorf(tandem.EBADREQUEST, "until %s is before since %s.", filter.Until.UTC().Format(timeLayout), filter.Since.UTC().Format(timeLayout))
	}
	if filter.Since != nil {
		where, args = append(where, "at >= ?"), append(args, at(*filter.Since))
	}
	if filter.Until != nil {
		where, args = append(where, "at < ?"), append(args, at(*filter.Until))
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT `+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	list := []*tandem.AuditEntry{}
	for rows.Next() {
		e, err := scanAuditEntry(rows)
		if err != nil {
			return nil, "", err
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	list, cursor := cutPage(list, limit, func(e *tandem.AuditEntry) int64 { return e.ID })
	return list, cursor, nil
}
