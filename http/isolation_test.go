package http_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/escalation"
	"github.com/tandemhq/tandem/internal/testserver"
	"github.com/tandemhq/tandem/sqlstore"
)

// The route-isolation test walks every registered route and calls it as an
// outsider: a user of another organisation, an internal user on provider-only
// routes, an anonymous client and a read-only token for writes. Each must be
// refused (404, 403 or 401 — or, on a list, shown nothing of the victim) and
// change nothing in the database. A route without a case here fails the test,
// so no route ships without its isolation proof.

// victimMarker appears in the names of the victim organisation's records; an
// outsider's response must never contain it.
const victimMarker = "Zephyrine"

// isolation holds the cast: organisation A is the victim, B the outsider's.
type isolation struct {
	s *testserver.Server

	orgA, orgB *tandem.Organization

	providerAdmin *tandem.User // sees everything: used to build fixtures
	itAdminA      *tandem.User // internal user of A: checked on provider-only routes
	userA         *tandem.User // a user of A, the target of user routes
	itAdminB      *tandem.User // the outsider

	tokens   map[*tandem.User]string
	readOnly string // a read-only token of the provider admin
	sessions map[*tandem.User]*http.Cookie

	invitationA int64 // a pending invitation into A
	tokenA      int64 // an API token of A's it-admin
	sessionA    int64 // a browser session of A's it-admin
	areaA       int64 // a service area of A

	ticketA     int64 // a ticket of A, with a comment, a pending handoff and an attachment
	handoffA    int64 // the handoff of ticketA waiting for the provider
	attachmentA int64 // a file attached to ticketA
	calendarA   int64 // a business calendar of A
	policyA     int64 // an internal escalation policy of A
	incidentA   int64 // the incident it runs on a P1 ticket of A
	p1A         int64 // that ticket
	noteA       int64 // an in-app notification to userA about ticketA
	webhookA    int64 // a webhook of A, with a delivery in its log
	scheduleA   int64 // an on-call schedule of A's internal team
	deviceA     int64 // an enrolled device of A, with a check-in and an inventory
	enrollA     int64 // an enrolment token of A
	agentCheckA int64 // a local check of A's agents
}

// routeCase says how to call one route against organisation A's records.
type routeCase struct {
	// public, when set, says why the route needs no credentials.
	public string
	// path returns the concrete path, aimed at organisation A's records.
	path func(f *isolation) string
	// body is sent on writes.
	body string
	// providerOnly routes refuse internal users, even of the victim's organisation.
	providerOnly bool
	// listing routes are not about one organisation: an outsider gets an
	// answer, which must hold nothing of the victim's.
	listing bool
	// self, when set, says why the route acts only on the caller's own
	// account: an outsider's call is checked to change nothing of anyone's.
	self string
	// refused lists the statuses that count as a refusal for the outsider
	// when not just 404: a body naming the victim's organisation is invalid
	// input for them (422), as if it did not exist.
	refused []int
}

// uploadBoundary separates the parts of plantedUpload, a multipart upload
// of one file; plantedICS is an iCalendar file with one holiday.
const (
	uploadBoundary = "isolation-boundary"
	plantedUpload  = "--" + uploadBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"planted.txt\"\r\nContent-Type: text/plain\r\n\r\nPlanted file\r\n--" + uploadBoundary + "--\r\n"
	plantedICS     = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//isolation//EN\r\nBEGIN:VEVENT\r\nUID:planted@isolation\r\nDTSTAMP:20300101T000000Z\r\nDTSTART;VALUE=DATE:20300102\r\nSUMMARY:Planted\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

func fixed(p string) func(*isolation) string { return func(*isolation) string { return p } }

func orgPath(format string) func(*isolation) string {
	return func(f *isolation) string { return fmt.Sprintf(format, f.orgA.Slug) }
}

func idPath(format string, id func(*isolation) int64) func(*isolation) string {
	return func(f *isolation) string { return fmt.Sprintf(format, id(f)) }
}

var (
	orgAID        = func(f *isolation) int64 { return f.orgA.ID }
	userAID       = func(f *isolation) int64 { return f.userA.ID }
	invitationAID = func(f *isolation) int64 { return f.invitationA }
	tokenAID      = func(f *isolation) int64 { return f.tokenA }
	sessionAID    = func(f *isolation) int64 { return f.sessionA }
	areaAID       = func(f *isolation) int64 { return f.areaA }
	ticketAID     = func(f *isolation) int64 { return f.ticketA }
	policyAID     = func(f *isolation) int64 { return f.policyA }
	incidentAID   = func(f *isolation) int64 { return f.incidentA }
	noteAID       = func(f *isolation) int64 { return f.noteA }
	webhookAID    = func(f *isolation) int64 { return f.webhookA }
	scheduleAID   = func(f *isolation) int64 { return f.scheduleA }
	deviceAID     = func(f *isolation) int64 { return f.deviceA }
	enrollAID     = func(f *isolation) int64 { return f.enrollA }
	agentCheckAID = func(f *isolation) int64 { return f.agentCheckA }
	invalidOrg    = []int{http.StatusNotFound, http.StatusUnprocessableEntity}
)

var routeCases = map[string]routeCase{
	// Operations and assets.
	"GET /healthz":       {public: "liveness probe"},
	"GET /readyz":        {public: "readiness probe"},
	"GET /metrics":       {public: "Prometheus scrape; holds no tenant data"},
	"GET /static/{file}": {public: "embedded assets"},

	// Logging in, first setup and invitations: the secret in the path or the
	// pending session is the credential.
	"GET /login":               {public: "login form"},
	"POST /login":              {public: "login"},
	"GET /login/mfa":           {public: "second step of a login; needs the pending session"},
	"POST /login/mfa":          {public: "second step of a login; needs the pending session"},
	"POST /logout":             {public: "ends the caller's own session only"},
	"GET /setup/{token}":       {public: "the one-time setup link is the credential"},
	"POST /setup/{token}":      {public: "the one-time setup link is the credential"},
	"GET /invite/{token}":      {public: "the invitation link is the credential"},
	"GET /ack/{token}":         {public: "the acknowledgement link is the credential; GET only shows it"},
	"POST /ack/{token}":        {public: "the acknowledgement link is the credential"},
	"POST /invite/{token}":     {public: "the invitation link is the credential"},
	"GET /api/v1/openapi.json": {public: "API description"},
	"GET /password/forgot":     {public: "asks for a reset link"},
	"POST /password/forgot":    {public: "sends a reset link to an address's account; answers the same whether it exists or not"},
	"GET /password/reset":      {public: "the emailed reset link is the credential"},
	"POST /password/reset":     {public: "the emailed reset link is the credential"},

	// API.
	"GET /api/v1/me": {path: fixed("/api/v1/me"), listing: true},
	"GET /api/v1/me/notification-preferences": {path: fixed("/api/v1/me/notification-preferences"), listing: true},
	"PUT /api/v1/me/notification-preferences": {path: fixed("/api/v1/me/notification-preferences"), self: "the caller's own preferences (here: refused, a time out of range)",
		body: `{"quiet_from":"25:00","quiet_to":"07:00","time_zone":"UTC"}`},
	"GET /api/v1/orgs":                {path: fixed("/api/v1/orgs"), listing: true},
	"POST /api/v1/orgs":               {path: fixed("/api/v1/orgs"), body: `{"name":"Created by an outsider"}`, providerOnly: true},
	"GET /api/v1/orgs/{id}":           {path: idPath("/api/v1/orgs/%d", orgAID)},
	"PATCH /api/v1/orgs/{id}":         {path: idPath("/api/v1/orgs/%d", orgAID), body: `{"name":"Renamed by an outsider"}`},
	"GET /api/v1/users":               {path: fixed("/api/v1/users"), listing: true},
	"POST /api/v1/users":              {path: fixed("/api/v1/users"), body: `{"email":"planted@example.com","role":"it-admin","password":"a long enough password","organization_id":%ORGA%}`, refused: invalidOrg},
	"GET /api/v1/users/{id}":          {path: idPath("/api/v1/users/%d", userAID)},
	"PATCH /api/v1/users/{id}":        {path: idPath("/api/v1/users/%d", userAID), body: `{"role":"viewer"}`},
	"GET /api/v1/audit":               {path: fixed("/api/v1/audit"), listing: true},
	"GET /api/v1/invitations":         {path: fixed("/api/v1/invitations"), listing: true},
	"POST /api/v1/invitations":        {path: fixed("/api/v1/invitations"), body: `{"email":"planted@example.com","role":"it-admin","organization_id":%ORGA%}`, refused: invalidOrg},
	"DELETE /api/v1/invitations/{id}": {path: idPath("/api/v1/invitations/%d", invitationAID)},
	"GET /api/v1/tokens":              {path: fixed("/api/v1/tokens"), listing: true},
	"POST /api/v1/tokens":             {path: fixed("/api/v1/tokens"), body: `{"name":"planted","user_id":%USERA%}`},
	"DELETE /api/v1/tokens/{id}":      {path: idPath("/api/v1/tokens/%d", tokenAID)},

	// API: service areas and the responsibility matrix.
	"GET /api/v1/orgs/{id}/areas":  {path: idPath("/api/v1/orgs/%d/areas", orgAID)},
	"POST /api/v1/orgs/{id}/areas": {path: idPath("/api/v1/orgs/%d/areas", orgAID), body: `{"name":"Planted area"}`},
	"PATCH /api/v1/orgs/{id}/areas/{area}": {path: func(f *isolation) string {
		return fmt.Sprintf("/api/v1/orgs/%d/areas/%d", f.orgA.ID, f.areaA)
	}, body: `{"name":"Renamed by an outsider"}`},
	"GET /api/v1/orgs/{id}/matrix":                        {path: idPath("/api/v1/orgs/%d/matrix?version=1", orgAID)},
	"GET /api/v1/orgs/{id}/matrix/versions":               {path: idPath("/api/v1/orgs/%d/matrix/versions", orgAID)},
	"POST /api/v1/orgs/{id}/matrix/versions":              {path: idPath("/api/v1/orgs/%d/matrix/versions", orgAID), body: `{"assignments":[]}`},
	"POST /api/v1/orgs/{id}/matrix/versions/{n}/sign":     {path: idPath("/api/v1/orgs/%d/matrix/versions/1/sign", orgAID)},
	"POST /api/v1/orgs/{id}/matrix/versions/{n}/withdraw": {path: idPath("/api/v1/orgs/%d/matrix/versions/1/withdraw", orgAID)},
	"GET /api/v1/orgs/{id}/matrix/gaps":                   {path: idPath("/api/v1/orgs/%d/matrix/gaps", orgAID)},

	// API: the service desk. Lists answer an outsider with nothing of A's;
	// every ticket, calendar and policy of A is not there for them.
	"GET /api/v1/tickets":                {path: fixed("/api/v1/tickets?q=" + victimMarker), listing: true},
	"POST /api/v1/orgs/{id}/tickets":     {path: idPath("/api/v1/orgs/%d/tickets", orgAID), body: `{"title":"Planted ticket"}`},
	"GET /api/v1/tickets/{id}":           {path: idPath("/api/v1/tickets/%d", ticketAID)},
	"PATCH /api/v1/tickets/{id}":         {path: idPath("/api/v1/tickets/%d", ticketAID), body: `{"status":"resolved","title":"Renamed by an outsider"}`},
	"GET /api/v1/tickets/{id}/timeline":  {path: idPath("/api/v1/tickets/%d/timeline", ticketAID)},
	"POST /api/v1/tickets/{id}/comments": {path: idPath("/api/v1/tickets/%d/comments", ticketAID), body: `{"body":"Planted comment"}`},
	"GET /api/v1/tickets/{id}/handoffs":  {path: idPath("/api/v1/tickets/%d/handoffs", ticketAID)},
	"POST /api/v1/tickets/{id}/handoffs": {path: idPath("/api/v1/tickets/%d/handoffs", ticketAID), body: `{"reason":"Planted handoff"}`},
	"POST /api/v1/tickets/{id}/handoffs/{handoff}/accept": {path: func(f *isolation) string {
		return fmt.Sprintf("/api/v1/tickets/%d/handoffs/%d/accept", f.ticketA, f.handoffA)
	}},
	"POST /api/v1/tickets/{id}/handoffs/{handoff}/decline": {path: func(f *isolation) string {
		return fmt.Sprintf("/api/v1/tickets/%d/handoffs/%d/decline", f.ticketA, f.handoffA)
	}, body: `{"reason":"Declined by an outsider"}`},
	"PUT /api/v1/tickets/{id}/watchers/{user}":    {path: idPath("/api/v1/tickets/%d/watchers/me", ticketAID)},
	"DELETE /api/v1/tickets/{id}/watchers/{user}": {path: func(f *isolation) string { return fmt.Sprintf("/api/v1/tickets/%d/watchers/%d", f.ticketA, f.userA.ID) }},
	"GET /api/v1/tickets/{id}/time-entries":       {path: idPath("/api/v1/tickets/%d/time-entries", ticketAID)},
	"POST /api/v1/tickets/{id}/time-entries":      {path: idPath("/api/v1/tickets/%d/time-entries", ticketAID), body: `{"minutes":30}`},
	"GET /api/v1/tickets/{id}/attachments":        {path: idPath("/api/v1/tickets/%d/attachments", ticketAID)},
	"POST /api/v1/tickets/{id}/attachments":       {path: idPath("/api/v1/tickets/%d/attachments", ticketAID), body: plantedUpload},
	"GET /api/v1/tickets/{id}/attachments/{attachment}": {path: func(f *isolation) string {
		return fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", f.ticketA, f.attachmentA)
	}},
	"GET /api/v1/orgs/{id}/calendars":  {path: idPath("/api/v1/orgs/%d/calendars", orgAID)},
	"POST /api/v1/orgs/{id}/calendars": {path: idPath("/api/v1/orgs/%d/calendars", orgAID), body: `{"name":"Planted calendar","definition":{"timezone":"UTC","hours":{"mon":[["00:00","24:00"]]}}}`},
	"GET /api/v1/orgs/{id}/calendars/{calendar}": {path: func(f *isolation) string {
		return fmt.Sprintf("/api/v1/orgs/%d/calendars/%d", f.orgA.ID, f.calendarA)
	}},
	"PUT /api/v1/orgs/{id}/calendars/{calendar}": {path: func(f *isolation) string {
		return fmt.Sprintf("/api/v1/orgs/%d/calendars/%d", f.orgA.ID, f.calendarA)
	}, body: `{"name":"Renamed by an outsider","definition":{"timezone":"UTC","hours":{"mon":[["00:00","24:00"]]}}}`},
	"DELETE /api/v1/orgs/{id}/calendars/{calendar}": {path: func(f *isolation) string {
		return fmt.Sprintf("/api/v1/orgs/%d/calendars/%d", f.orgA.ID, f.calendarA)
	}},
	"POST /api/v1/orgs/{id}/calendars/{calendar}/holidays": {path: func(f *isolation) string {
		return fmt.Sprintf("/api/v1/orgs/%d/calendars/%d/holidays", f.orgA.ID, f.calendarA)
	}, body: plantedICS},
	"GET /api/v1/orgs/{id}/sla-policy": {path: idPath("/api/v1/orgs/%d/sla-policy", orgAID)},
	"PUT /api/v1/orgs/{id}/sla-policy": {path: idPath("/api/v1/orgs/%d/sla-policy", orgAID), body: `{"warn_percent":50,"targets":[{"priority":1,"response_minutes":1,"resolution_minutes":2}]}`},

	// API: escalation policies and incidents. The list answers an outsider
	// with nothing of A's.
	"GET /api/v1/escalation-policies":         {path: fixed("/api/v1/escalation-policies"), listing: true},
	"POST /api/v1/escalation-policies":        {path: fixed("/api/v1/escalation-policies"), body: `{"name":"Planted","party":"internal","organization_id":%ORGA%,"triggers":["ticket"],"levels":[{"targets":[{"kind":"queue","party":"internal"}],"timeout_minutes":5}]}`},
	"GET /api/v1/escalation-policies/{id}":    {path: idPath("/api/v1/escalation-policies/%d", policyAID)},
	"PUT /api/v1/escalation-policies/{id}":    {path: idPath("/api/v1/escalation-policies/%d", policyAID), body: `{"name":"Renamed by an outsider","party":"internal","organization_id":%ORGA%,"triggers":["ticket"],"levels":[{"targets":[{"kind":"queue","party":"internal"}],"timeout_minutes":5}]}`},
	"DELETE /api/v1/escalation-policies/{id}": {path: idPath("/api/v1/escalation-policies/%d", policyAID)},
	"GET /api/v1/tickets/{id}/incidents":      {path: idPath("/api/v1/tickets/%d/incidents", ticketAID)},
	"GET /api/v1/incidents/{id}":              {path: idPath("/api/v1/incidents/%d", incidentAID)},
	"POST /api/v1/incidents/{id}/acknowledge": {path: idPath("/api/v1/incidents/%d/acknowledge", incidentAID)},
	"POST /api/v1/incidents/{id}/escalate":    {path: idPath("/api/v1/incidents/%d/escalate", incidentAID)},
	"POST /api/v1/incidents/{id}/reassign":    {path: idPath("/api/v1/incidents/%d/reassign", incidentAID), body: `{"user_id":%USERA%}`},

	// UI: escalation policies and the ticket page's Escalation panel.
	"GET /escalation":              {path: fixed("/escalation"), listing: true},
	"GET /escalation/new":          {path: fixed("/escalation/new"), listing: true},
	"POST /escalation":             {path: fixed("/escalation"), body: "name=Planted&organization_id=%ORGA%&triggers=ticket&levels.0.queues=internal&levels.0.timeout_minutes=5", refused: invalidOrg},
	"GET /escalation/{id}":         {path: idPath("/escalation/%d", policyAID)},
	"POST /escalation/{id}":        {path: idPath("/escalation/%d", policyAID), body: "name=Renamed+by+an+outsider&organization_id=%ORGA%&triggers=ticket&levels.0.queues=internal&levels.0.timeout_minutes=5"},
	"POST /escalation/{id}/delete": {path: idPath("/escalation/%d/delete", policyAID)},
	"POST /tickets/{id}/incidents/{incident}/acknowledge": {path: func(f *isolation) string {
		return fmt.Sprintf("/tickets/%d/incidents/%d/acknowledge", f.p1A, f.incidentA)
	}},
	"POST /tickets/{id}/incidents/{incident}/escalate": {path: func(f *isolation) string {
		return fmt.Sprintf("/tickets/%d/incidents/%d/escalate", f.p1A, f.incidentA)
	}},
	"POST /tickets/{id}/incidents/{incident}/reassign": {path: func(f *isolation) string {
		return fmt.Sprintf("/tickets/%d/incidents/%d/reassign", f.p1A, f.incidentA)
	}, body: "assignee=%USERA%"},
	// Notifications: the caller's own, and the outbox as they may oversee it.
	"GET /api/v1/notifications":              {path: fixed("/api/v1/notifications"), listing: true},
	"GET /api/v1/notifications/unread-count": {path: fixed("/api/v1/notifications/unread-count"), listing: true},
	"POST /api/v1/notifications/read":        {path: fixed("/api/v1/notifications/read"), body: `{"ids":[%NOTEA%]}`, self: "marks the caller's own notifications read; the victim's id is passed over"},
	"GET /api/v1/outbox":                     {path: fixed("/api/v1/outbox"), listing: true},
	"GET /notifications":                     {path: fixed("/notifications"), listing: true},
	"GET /notifications/stream":              {path: fixed("/notifications/stream"), listing: true},
	"POST /notifications/read":               {path: fixed("/notifications/read"), self: "marks the caller's own notifications read"},
	"POST /notifications/{id}/read":          {path: idPath("/notifications/%d/read", noteAID)},
	"GET /outbox":                            {path: fixed("/outbox"), listing: true},

	// UI: home, organisation, audit.
	"GET /{$}":                   {path: fixed("/"), listing: true},
	"GET /orgs/{slug}":           {path: orgPath("/orgs/%s")},
	"POST /orgs":                 {path: fixed("/orgs"), body: "name=Created+by+an+outsider", providerOnly: true},
	"POST /orgs/{slug}":          {path: orgPath("/orgs/%s"), body: "name=Renamed+by+an+outsider"},
	"GET /audit":                 {path: fixed("/audit"), listing: true},
	"GET /audit/export":          {path: fixed("/audit/export?format=csv"), listing: true},
	"GET /orgs/{slug}/settings":  {path: orgPath("/orgs/%s/settings")},
	"POST /orgs/{slug}/settings": {path: orgPath("/orgs/%s/settings"), body: "require_mfa=on"},

	// UI: an organisation's team.
	"GET /orgs/{slug}/people":              {path: orgPath("/orgs/%s/people")},
	"POST /orgs/{slug}/people":             {path: orgPath("/orgs/%s/people"), body: "email=planted%40example.com&role=it-admin"},
	"POST /orgs/{slug}/people/{id}/role":   {path: func(f *isolation) string { return fmt.Sprintf("/orgs/%s/people/%d/role", f.orgA.Slug, f.userA.ID) }, body: "role=viewer"},
	"POST /orgs/{slug}/people/{id}/active": {path: func(f *isolation) string { return fmt.Sprintf("/orgs/%s/people/%d/active", f.orgA.Slug, f.userA.ID) }, body: "active=false"},
	"POST /orgs/{slug}/people/{id}/mfa-reset": {path: func(f *isolation) string {
		return fmt.Sprintf("/orgs/%s/people/%d/mfa-reset", f.orgA.Slug, f.userA.ID)
	}},
	"POST /orgs/{slug}/people/invitations/{id}/revoke": {path: func(f *isolation) string {
		return fmt.Sprintf("/orgs/%s/people/invitations/%d/revoke", f.orgA.Slug, f.invitationA)
	}},

	// UI: an organisation's responsibility matrix.
	"GET /orgs/{slug}/matrix":                    {path: orgPath("/orgs/%s/matrix")},
	"POST /orgs/{slug}/matrix":                   {path: orgPath("/orgs/%s/matrix"), body: "a-%AREAA%-internal-R=on&a-%AREAA%-internal-A=on"},
	"POST /orgs/{slug}/matrix/versions/{n}/sign": {path: orgPath("/orgs/%s/matrix/versions/1/sign")},
	"GET /orgs/{slug}/matrix.csv":                {path: orgPath("/orgs/%s/matrix.csv?version=1")},
	"GET /orgs/{slug}/matrix/print":              {path: orgPath("/orgs/%s/matrix/print?version=1")},

	// UI: the provider's staff and settings.
	"GET /provider/people":                          {path: fixed("/provider/people"), providerOnly: true},
	"POST /provider/people":                         {path: fixed("/provider/people"), body: "email=planted%40example.com&role=admin", providerOnly: true},
	"POST /provider/people/{id}/role":               {path: idPath("/provider/people/%d/role", userAID), body: "role=admin", providerOnly: true},
	"POST /provider/people/{id}/active":             {path: idPath("/provider/people/%d/active", userAID), body: "active=false", providerOnly: true},
	"POST /provider/people/{id}/mfa-reset":          {path: idPath("/provider/people/%d/mfa-reset", userAID), providerOnly: true},
	"POST /provider/people/invitations/{id}/revoke": {path: idPath("/provider/people/invitations/%d/revoke", invitationAID), providerOnly: true},
	"POST /provider/people/{id}/organizations":      {path: idPath("/provider/people/%d/organizations", userAID), body: "organizations=%ORGA%", providerOnly: true},
	"GET /provider/settings":                        {path: fixed("/provider/settings"), providerOnly: true},
	"POST /provider/settings":                       {path: fixed("/provider/settings"), body: "require_mfa=off", providerOnly: true},

	// UI: the caller's own account.
	"GET /account":                      {path: fixed("/account"), listing: true},
	"GET /account/password":             {path: fixed("/account/password"), listing: true},
	"POST /account/password":            {path: fixed("/account/password"), self: "changes the caller's own password (here: with a wrong current password)", body: "current=wrong-password&password=another+long+password&confirm=another+long+password"},
	"GET /account/sessions":             {path: fixed("/account/sessions"), listing: true},
	"GET /account/notifications":        {path: fixed("/account/notifications"), listing: true},
	"POST /account/notifications":       {path: fixed("/account/notifications"), self: "the caller's own preferences (here: refused, a time out of range)", body: "quiet_from=25:00&quiet_to=07:00&time_zone=UTC"},
	"POST /account/sessions/{id}/end":   {path: idPath("/account/sessions/%d/end", sessionAID)},
	"POST /account/sessions/end-others": {path: fixed("/account/sessions/end-others"), self: "ends the caller's own other sessions (the outsider has none)"},
	"GET /account/mfa":                  {path: fixed("/account/mfa"), listing: true},
	"POST /account/mfa":                 {path: fixed("/account/mfa"), self: "enrols the caller (here: with a wrong code)", body: "secret=JBSWY3DPEHPK3PXP&code=000000&password=wrong"},
	"POST /account/mfa/disable":         {path: fixed("/account/mfa/disable"), self: "the caller's own MFA (here: not enrolled)", body: "password=wrong&code=000000"},
	"POST /account/mfa/recovery-codes":  {path: fixed("/account/mfa/recovery-codes"), self: "the caller's own recovery codes (here: not enrolled)", body: "password=wrong&code=000000"},
	"GET /account/tokens":               {path: fixed("/account/tokens"), listing: true},
	"POST /account/tokens":              {path: fixed("/account/tokens"), body: "name=planted&organization_id=%ORGA%", refused: invalidOrg},
	"POST /account/tokens/{id}/revoke":  {path: idPath("/account/tokens/%d/revoke", tokenAID)},

	// UI: the service desk pages (ui_ticket.go). The list, the queue and the
	// organisation chooser answer an outsider with their own tickets only.
	"GET /tickets":                   {path: fixed("/tickets?q=payroll"), listing: true},
	"GET /queue":                     {path: fixed("/queue"), listing: true},
	"GET /tickets/new":               {path: fixed("/tickets/new"), listing: true},
	"GET /orgs/{slug}/tickets/new":   {path: orgPath("/orgs/%s/tickets/new")},
	"POST /orgs/{slug}/tickets/new":  {path: orgPath("/orgs/%s/tickets/new"), body: "title=Planted+ticket&description=Planted"},
	"GET /tickets/{id}":              {path: idPath("/tickets/%d", ticketAID)},
	"POST /tickets/{id}/comments":    {path: idPath("/tickets/%d/comments", ticketAID), body: "body=Planted+comment&visibility=public"},
	"POST /tickets/{id}/status":      {path: idPath("/tickets/%d/status", ticketAID), body: "status=resolved"},
	"POST /tickets/{id}/assign":      {path: idPath("/tickets/%d/assign", ticketAID), body: "assignee=me"},
	"POST /tickets/{id}/edit":        {path: idPath("/tickets/%d/edit", ticketAID), body: "title=Renamed+by+an+outsider&description=Planted"},
	"POST /tickets/{id}/watchers":    {path: idPath("/tickets/%d/watchers", ticketAID), body: "user=%USERA%"},
	"POST /tickets/{id}/handoffs":    {path: idPath("/tickets/%d/handoffs", ticketAID), body: "reason=Planted+handoff"},
	"POST /tickets/{id}/time":        {path: idPath("/tickets/%d/time", ticketAID), body: "minutes=30&billable=on"},
	"POST /tickets/{id}/attachments": {path: idPath("/tickets/%d/attachments", ticketAID), body: plantedUpload},
	"POST /tickets/{id}/watchers/{user}/remove": {path: func(f *isolation) string {
		return fmt.Sprintf("/tickets/%d/watchers/%d/remove", f.ticketA, f.userA.ID)
	}},
	"POST /tickets/{id}/handoffs/{handoff}/accept": {path: func(f *isolation) string {
		return fmt.Sprintf("/tickets/%d/handoffs/%d/accept", f.ticketA, f.handoffA)
	}},
	"POST /tickets/{id}/handoffs/{handoff}/decline": {path: func(f *isolation) string {
		return fmt.Sprintf("/tickets/%d/handoffs/%d/decline", f.ticketA, f.handoffA)
	}, body: "reason=Declined+by+an+outsider"},
	"GET /tickets/{id}/attachments/{attachment}": {path: func(f *isolation) string {
		return fmt.Sprintf("/tickets/%d/attachments/%d", f.ticketA, f.attachmentA)
	}},

	// UI: an organisation's SLA settings (ui_sla.go).
	"GET /orgs/{slug}/sla":            {path: orgPath("/orgs/%s/sla")},
	"POST /orgs/{slug}/sla":           {path: orgPath("/orgs/%s/sla"), body: "warn_percent=50&response_1=1m&resolution_1=2m&matrix_high_high=1"},
	"POST /orgs/{slug}/sla/calendars": {path: orgPath("/orgs/%s/sla/calendars"), body: "name=Planted&timezone=UTC&mon_open=on&mon_from_1=00%3A00&mon_to_1=24%3A00"},
	"POST /orgs/{slug}/sla/calendars/{id}": {path: func(f *isolation) string {
		return fmt.Sprintf("/orgs/%s/sla/calendars/%d", f.orgA.Slug, f.calendarA)
	}, body: "name=Renamed+by+an+outsider&timezone=UTC&mon_open=on&mon_from_1=00%3A00&mon_to_1=24%3A00"},
	"POST /orgs/{slug}/sla/calendars/{id}/delete": {path: func(f *isolation) string {
		return fmt.Sprintf("/orgs/%s/sla/calendars/%d/delete", f.orgA.Slug, f.calendarA)
	}},
	"POST /orgs/{slug}/sla/calendars/{id}/holidays": {path: func(f *isolation) string {
		return fmt.Sprintf("/orgs/%s/sla/calendars/%d/holidays", f.orgA.Slug, f.calendarA)
	}, body: plantedUpload},

	// API and UI: webhooks (api_webhook.go, ui_webhook.go). Provider
	// webhooks are the provider admins'; A's are A's it-admins'.
	"GET /api/v1/webhooks":                     {path: fixed("/api/v1/webhooks"), listing: true},
	"POST /api/v1/webhooks":                    {path: fixed("/api/v1/webhooks"), body: `{"organization_id":%ORGA%,"name":"Planted","url":"https://planted.example/h"}`},
	"GET /api/v1/webhooks/{id}":                {path: idPath("/api/v1/webhooks/%d", webhookAID)},
	"PATCH /api/v1/webhooks/{id}":              {path: idPath("/api/v1/webhooks/%d", webhookAID), body: `{"name":"Renamed by an outsider"}`},
	"DELETE /api/v1/webhooks/{id}":             {path: idPath("/api/v1/webhooks/%d", webhookAID)},
	"POST /api/v1/webhooks/{id}/rotate-secret": {path: idPath("/api/v1/webhooks/%d/rotate-secret", webhookAID)},
	"POST /api/v1/webhooks/{id}/test":          {path: idPath("/api/v1/webhooks/%d/test", webhookAID)},
	"GET /api/v1/webhooks/{id}/deliveries":     {path: idPath("/api/v1/webhooks/%d/deliveries", webhookAID)},
	"GET /settings/webhooks":                   {path: fixed("/settings/webhooks"), providerOnly: true},
	"POST /settings/webhooks":                  {path: fixed("/settings/webhooks"), body: "name=Planted&url=https%3A%2F%2Fplanted.example%2Fh&format=json&active=on", providerOnly: true},
	"GET /orgs/{slug}/webhooks":                {path: orgPath("/orgs/%s/webhooks")},
	"POST /orgs/{slug}/webhooks":               {path: orgPath("/orgs/%s/webhooks"), body: "name=Planted&url=https%3A%2F%2Fplanted.example%2Fh&format=json&active=on"},
	"GET /webhooks/{id}":                       {path: idPath("/webhooks/%d", webhookAID)},
	"POST /webhooks/{id}":                      {path: idPath("/webhooks/%d", webhookAID), body: "name=Renamed+by+an+outsider&url=https%3A%2F%2Fplanted.example%2Fh&format=json"},
	"POST /webhooks/{id}/delete":               {path: idPath("/webhooks/%d/delete", webhookAID)},
	"POST /webhooks/{id}/rotate-secret":        {path: idPath("/webhooks/%d/rotate-secret", webhookAID)},
	"POST /webhooks/{id}/test":                 {path: idPath("/webhooks/%d/test", webhookAID)},
	"GET /webhooks/{id}/deliveries":            {path: idPath("/webhooks/%d/deliveries", webhookAID)},
	// On-call schedules (api_oncall.go, ui_oncall.go). Creating one for
	// A, or putting A's staff on one's own rotation, is refused as invalid.
	"GET /api/v1/oncall-schedules":             {path: fixed("/api/v1/oncall-schedules"), listing: true},
	"POST /api/v1/oncall-schedules":            {path: fixed("/api/v1/oncall-schedules"), body: `{"party":"internal","organization_id":%ORGA%,"name":"Planted","definition":` + plantedRotation + `}`, refused: []int{http.StatusForbidden, http.StatusUnprocessableEntity}},
	"GET /api/v1/oncall-schedules/{id}":        {path: idPath("/api/v1/oncall-schedules/%d", scheduleAID)},
	"PUT /api/v1/oncall-schedules/{id}":        {path: idPath("/api/v1/oncall-schedules/%d", scheduleAID), body: `{"name":"Renamed by an outsider","definition":` + plantedRotation + `}`},
	"DELETE /api/v1/oncall-schedules/{id}":     {path: idPath("/api/v1/oncall-schedules/%d", scheduleAID)},
	"GET /api/v1/oncall-schedules/{id}/who":    {path: idPath("/api/v1/oncall-schedules/%d/who", scheduleAID)},
	"GET /api/v1/oncall-schedules/{id}/shifts": {path: idPath("/api/v1/oncall-schedules/%d/shifts", scheduleAID)},
	"GET /feeds/oncall/{file}":                 {public: "calendar clients cannot log in: the secret token in the address is the credential"},
	"GET /oncall":                              {path: fixed("/oncall"), listing: true},
	"POST /oncall/feed":                        {path: fixed("/oncall/feed"), self: "makes the caller's own feed link (oncall_feeds is left out of the fingerprint)"},
	"GET /oncall/new":                          {path: fixed("/oncall/new"), listing: true},
	"POST /oncall":                             {path: fixed("/oncall"), body: "name=Planted&timezone=UTC&definition=" + url.QueryEscape(plantedRotation), refused: []int{http.StatusUnprocessableEntity}},
	"GET /oncall/{id}":                         {path: idPath("/oncall/%d", scheduleAID)},
	"GET /oncall/{id}/edit":                    {path: idPath("/oncall/%d/edit", scheduleAID)},
	"POST /oncall/{id}":                        {path: idPath("/oncall/%d", scheduleAID), body: "name=Renamed+by+an+outsider&timezone=UTC&definition=" + url.QueryEscape(plantedRotation)},
	"POST /oncall/{id}/delete":                 {path: idPath("/oncall/%d/delete", scheduleAID)},
	"POST /oncall/{id}/feed":                   {path: idPath("/oncall/%d/feed", scheduleAID)},

	// Devices (agent_api.go, api_device.go). The agents' own protocol
	// takes no user credential: TestAgentCredentialIsolation shows one
	// organisation's agent cannot write another's device.
	"POST /agent/v1/enroll":                       {public: "agents enrol with an enrolment token, not a user's credential"},
	"POST /agent/v1/checkin":                      {public: "agents authenticate with their own credential (TestAgentCredentialIsolation)"},
	"POST /agent/v1/inventory":                    {public: "agents authenticate with their own credential (TestAgentCredentialIsolation)"},
	"GET /api/v1/devices":                         {path: fixed("/api/v1/devices?q=" + victimMarker), listing: true},
	"GET /api/v1/devices/{id}":                    {path: idPath("/api/v1/devices/%d", deviceAID)},
	"GET /api/v1/devices/{id}/software":           {path: idPath("/api/v1/devices/%d/software", deviceAID)},
	"GET /api/v1/devices/{id}/inventory":          {path: idPath("/api/v1/devices/%d/inventory", deviceAID)},
	"GET /api/v1/devices/{id}/events":             {path: idPath("/api/v1/devices/%d/events", deviceAID)},
	"GET /api/v1/devices/{id}/checks":             {path: idPath("/api/v1/devices/%d/checks", deviceAID)},
	"GET /api/v1/devices/{id}/metrics":            {path: idPath("/api/v1/devices/%d/metrics?since=2000-01-01T00:00:00Z", deviceAID)},
	"POST /api/v1/devices/{id}/revoke":            {path: idPath("/api/v1/devices/%d/revoke", deviceAID)},
	"POST /api/v1/devices/{id}/rotate-credential": {path: idPath("/api/v1/devices/%d/rotate-credential", deviceAID)},
	"GET /api/v1/orgs/{id}/enrollment-tokens":     {path: idPath("/api/v1/orgs/%d/enrollment-tokens", orgAID)},
	"POST /api/v1/orgs/{id}/enrollment-tokens":    {path: idPath("/api/v1/orgs/%d/enrollment-tokens", orgAID), body: `{"description":"Planted"}`},
	"DELETE /api/v1/enrollment-tokens/{id}":       {path: idPath("/api/v1/enrollment-tokens/%d", enrollAID)},
	"GET /api/v1/orgs/{id}/agent-checks":          {path: idPath("/api/v1/orgs/%d/agent-checks", orgAID)},
	"POST /api/v1/orgs/{id}/agent-checks":         {path: idPath("/api/v1/orgs/%d/agent-checks", orgAID), body: `{"kind":"process","name":"Planted","target":"sshd"}`},
	"DELETE /api/v1/agent-checks/{id}":            {path: idPath("/api/v1/agent-checks/%d", agentCheckAID)},
	"GET /agent/v1/download/{target}":             {public: "the agent's binary is the same for everyone, fetched by install commands before any credential exists"},
	// The device pages (ui_device.go, ui_enrollment.go). The list's search
	// is not the marker: the page repeats it in its links.
	"GET /devices":                         {path: fixed("/devices?q=ws01"), listing: true},
	"GET /devices/{id}":                    {path: idPath("/devices/%d", deviceAID)},
	"POST /devices/{id}/revoke":            {path: idPath("/devices/%d/revoke", deviceAID)},
	"POST /devices/{id}/rotate-credential": {path: idPath("/devices/%d/rotate-credential", deviceAID)},
	"GET /orgs/{slug}/devices/enroll":      {path: orgPath("/orgs/%s/devices/enroll")},
	"POST /orgs/{slug}/devices/enroll":     {path: orgPath("/orgs/%s/devices/enroll"), body: "description=Planted&expires=7d"},
	"POST /orgs/{slug}/devices/enroll/{id}/revoke": {path: func(f *isolation) string {
		return fmt.Sprintf("/orgs/%s/devices/enroll/%d/revoke", f.orgA.Slug, f.enrollA)
	}},
	"POST /orgs/{slug}/devices/checks": {path: orgPath("/orgs/%s/devices/checks"), body: "kind=process&name=Planted&target=sshd"},
	"POST /orgs/{slug}/devices/checks/{id}/delete": {path: func(f *isolation) string {
		return fmt.Sprintf("/orgs/%s/devices/checks/%d/delete", f.orgA.Slug, agentCheckAID(f))
	}},
}

// plantedRotation is an on-call definition with A's technician on it.
const plantedRotation = `{"timezone":"UTC","layers":[{"name":"planted","start":"2030-01-07T09:00:00","turn":"1w","members":["staff@zephyrine.example"]}]}`

func TestRouteIsolation(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testserver.Server) {
		f := newIsolation(t, s)
		routes := s.HTTPServer.Routes()
		for _, pattern := range routes {
			if _, ok := routeCases[pattern]; !ok {
				t.Errorf("route %q has no isolation case: add one to routeCases in http/isolation_test.go", pattern)
			}
		}
		for pattern := range routeCases {
			if !slices.Contains(routes, pattern) {
				t.Errorf("isolation case %q names no registered route: remove it", pattern)
			}
		}
		for _, pattern := range routes {
			c, ok := routeCases[pattern]
			if !ok || c.public != "" {
				continue
			}
			t.Run(pattern, func(t *testing.T) { f.check(t, pattern, c) })
		}
	})
}

func newIsolation(t *testing.T, s *testserver.Server) *isolation {
	f := &isolation{s: s, tokens: map[*tandem.User]string{}, sessions: map[*tandem.User]*http.Cookie{}}
	f.orgA = s.MustCreateOrganization(t, victimMarker+" Dental")
	f.orgB = s.MustCreateOrganization(t, "Outsider Logistics")
	f.providerAdmin = s.MustCreateUser(t, &tandem.User{Email: "admin@msp.example", Role: tandem.RoleAdmin}, uiPassword)
	f.itAdminA = s.MustCreateUser(t, &tandem.User{Email: "it@zephyrine.example", Name: victimMarker + " Admin", Role: tandem.RoleITAdmin, OrganizationID: &f.orgA.ID}, uiPassword)
	f.userA = s.MustCreateUser(t, &tandem.User{Email: "staff@zephyrine.example", Name: victimMarker + " Staff", Role: tandem.RoleITTechnician, OrganizationID: &f.orgA.ID}, uiPassword)
	f.itAdminB = s.MustCreateUser(t, &tandem.User{Email: "it@outsider.example", Role: tandem.RoleITAdmin, OrganizationID: &f.orgB.ID}, uiPassword)
	// userA has MFA on, so an MFA reset that got through would show in the
	// fingerprint.
	enrolMFA(t, s, f.userA)
	for _, u := range []*tandem.User{f.providerAdmin, f.itAdminA, f.itAdminB} {
		f.tokens[u] = s.MustCreateTokenWith(t, u.ID, tandem.TokenOptions{Name: "token of " + u.Email})
		secret, err := s.Services.Sessions.CreateSession(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.sessions[u] = &http.Cookie{Name: "tandem_session", Value: secret}
	}
	f.readOnly = s.MustCreateTokenWith(t, f.providerAdmin.ID, tandem.TokenOptions{Name: "read-only", ReadOnly: true})

	ctx := tandem.NewContextWithActor(context.Background(), actorFor(f.itAdminA))
	inv := &tandem.Invitation{Email: "invited@zephyrine.example", Name: victimMarker + " Invitee", Role: tandem.RoleITTechnician, OrganizationID: &f.orgA.ID}
	if _, err := s.Services.Invitations.CreateInvitation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	f.invitationA = inv.ID
	tok, _, err := s.Services.Tokens.CreateToken(ctx, f.itAdminA.ID, tandem.TokenOptions{Name: victimMarker + " integration"})
	if err != nil {
		t.Fatal(err)
	}
	f.tokenA = tok.ID
	a, err := s.Services.Sessions.ActorForSession(context.Background(), f.sessions[f.itAdminA].Value)
	if err != nil {
		t.Fatal(err)
	}
	f.sessionA = a.SessionID
	// Version 1 of A's matrix, proposed and awaiting signatures.
	areas, err := s.Services.Matrix.FindServiceAreas(ctx, f.orgA.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.areaA = areas[0].ID
	if _, err := s.Services.Matrix.ProposeMatrix(ctx, f.orgA.ID, []tandem.Assignment{{AreaID: f.areaA, Party: tandem.PartyInternal, Responsible: true, Accountable: true}}); err != nil {
		t.Fatal(err)
	}
	f.newDeskFixture(t, ctx)
	return f
}

// newDeskFixture gives A a ticket with a comment, a time entry, a watcher,
// an attachment and a handoff waiting for the provider, and a business
// calendar, each naming the victim.
func (f *isolation) newDeskFixture(t *testing.T, ctx context.Context) {
	t.Helper()
	s := f.s
	tk, err := s.Services.Tickets.CreateTicket(ctx, tandem.TicketInput{OrganizationID: f.orgA.ID, Title: victimMarker + " payroll server is down",
		Description: "The " + victimMarker + " payroll run stops at step 3.", Watchers: []int64{f.userA.ID}, Tags: []string{"payroll"}})
	if err != nil {
		t.Fatal(err)
	}
	f.ticketA = tk.ID
	if _, err := s.Services.Tickets.AddComment(ctx, tk.ID, tandem.CommentInput{Body: victimMarker + " payroll logs are attached."}); err != nil {
		t.Fatal(err)
	}
	if err := s.Services.Tickets.AddTimeEntry(ctx, tk.ID, &tandem.TimeEntry{Minutes: 15, Note: victimMarker + " triage"}); err != nil {
		t.Fatal(err)
	}
	a := &tandem.Attachment{Filename: victimMarker + "-payroll.txt"}
	if err := s.Services.Tickets.AddAttachment(ctx, tk.ID, a, strings.NewReader(victimMarker+" payroll log\n")); err != nil {
		t.Fatal(err)
	}
	f.attachmentA = a.ID
	h, err := s.Services.Tickets.RequestHandoff(ctx, tk.ID, victimMarker+" needs the provider's payroll specialist")
	if err != nil {
		t.Fatal(err)
	}
	f.handoffA = h.ID
	cal := &tandem.BusinessCalendar{OrganizationID: f.orgA.ID, Name: victimMarker + " office hours",
		Definition: []byte(`{"timezone":"Europe/Berlin","hours":{"mon":[["09:00","17:00"]]},"holidays":["2030-12-25"]}`)}
	if err := s.Services.SLA.CreateCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	f.calendarA = cal.ID
	// An internal escalation policy of A running on a P1 ticket of A.
	p := &tandem.EscalationPolicy{Party: tandem.PartyInternal, OrganizationID: &f.orgA.ID, Name: victimMarker + " P1 escalation",
		Triggers: []escalation.Trigger{escalation.TriggerTicket}, Levels: []tandem.EscalationLevel{
			{Targets: []tandem.EscalationTarget{{Kind: escalation.TargetUser, UserID: f.userA.ID}}, TimeoutMinutes: 15}}}
	if err := s.Services.Escalation.CreateEscalationPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	f.policyA = p.ID
	p1, err := s.Services.Tickets.CreateTicket(ctx, tandem.TicketInput{OrganizationID: f.orgA.ID, Title: victimMarker + " warehouse is offline",
		Description: "Nothing connects.", Impact: tandem.LevelHigh, Urgency: tandem.LevelHigh})
	if err != nil {
		t.Fatal(err)
	}
	incidents, err := s.Services.Escalation.FindIncidents(ctx, p1.ID)
	if err != nil || len(incidents) != 1 {
		t.Fatalf("the P1 of A started %d incidents: %v", len(incidents), err)
	}
	f.incidentA, f.p1A = incidents[0].ID, p1.ID
	// In-app only: an email would be delivered (held) by the scheduler
	// meanwhile, and the fingerprint would see it change.
	org := f.orgA.ID
	notes := []*tandem.Notification{
		{OrganizationID: &org, TicketID: &tk.ID, UserID: &f.userA.ID, Channel: tandem.ChannelInApp, Kind: tandem.NotifyWatchedComment,
			Subject: victimMarker + " payroll: a new comment", Body: victimMarker + " payroll logs are attached.", Link: "/tickets/1"},
	}
	if err := sqlstore.EnqueueForTest(ctx, s.Services.DB, notes...); err != nil {
		t.Fatal(err)
	}
	f.noteA = notes[0].ID
	hook := &tandem.Webhook{OrganizationID: &f.orgA.ID, Name: victimMarker + " alerts", URL: "https://zephyrine.example/hooks/tandem",
		Format: tandem.WebhookJSON, Active: true}
	if err := s.Services.Webhooks.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	f.webhookA = hook.ID
	if _, err := s.Services.Webhooks.TestWebhook(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	sc := &tandem.OnCallSchedule{Party: tandem.PartyInternal, OrganizationID: &f.orgA.ID, Name: victimMarker + " on call",
		Definition: []byte(`{"timezone":"Europe/Berlin","layers":[{"name":"` + victimMarker + `","start":"2030-01-07T09:00:00","turn":"1w","members":["it@zephyrine.example","staff@zephyrine.example"]}]}`)}
	if err := s.Services.OnCall.CreateOnCallSchedule(ctx, sc); err != nil {
		t.Fatal(err)
	}
	f.scheduleA = sc.ID
	f.deviceA, f.enrollA, f.agentCheckA = plantDevice(t, ctx, s, f.orgA.ID, victimMarker)
}

// openRaw opens the server's database read-only (on SQLite) beside the
// server, bypassing every service, for tests that look at what is stored.
func openRaw(t *testing.T, s *testserver.Server) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+s.Services.DB.Path+"?mode=ro"
	if s.DatabaseURL != "" {
		driver, dsn = "pgx", s.DatabaseURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// check calls one route as each outsider and proves nothing changed.
func (f *isolation) check(t *testing.T, pattern string, c routeCase) {
	method, _, _ := strings.Cut(pattern, " ")
	path := c.path(f)
	body := strings.NewReplacer("%ORGA%", fmt.Sprint(f.orgA.ID), "%USERA%", fmt.Sprint(f.userA.ID), "%AREAA%", fmt.Sprint(f.areaA),
		"%NOTEA%", fmt.Sprint(f.noteA)).Replace(c.body)
	api := strings.HasPrefix(path, "/api/")
	writes := method != http.MethodGet && method != http.MethodHead
	before := fingerprint(t, f.s)

	// (c) An anonymous client.
	status, _, header := f.call(t, method, path, body, nil, "")
	switch {
	case api && status != http.StatusUnauthorized:
		t.Errorf("anonymous: status %d, want 401", status)
	case !api && !(status == http.StatusSeeOther && header.Get("Location") == "/login") && status != http.StatusUnauthorized:
		t.Errorf("anonymous: status %d (Location %q), want a redirect to /login", status, header.Get("Location"))
	}

	// (a) A user of another organisation.
	status, got, _ := f.as(t, f.itAdminB, method, path, body)
	refused := append([]int{http.StatusNotFound}, c.refused...)
	if c.providerOnly {
		refused = append(refused, http.StatusForbidden)
	}
	switch {
	case c.listing || c.self != "":
		if status >= 500 {
			t.Errorf("other organisation's user: status %d", status)
		}
	case !slices.Contains(refused, status):
		t.Errorf("other organisation's user: status %d, want one of %v", status, refused)
	}
	if strings.Contains(got, victimMarker) {
		t.Errorf("other organisation's user: the answer (status %d) shows the victim's data", status)
	}

	// (b) An internal user, even of the victim organisation, on provider-only routes.
	if c.providerOnly {
		status, _, _ = f.as(t, f.itAdminA, method, path, body)
		if status != http.StatusForbidden && status != http.StatusNotFound {
			t.Errorf("internal user on a provider-only route: status %d, want 403 or 404", status)
		}
	}

	// (d) A read-only token on a write.
	if api && writes {
		status, _, _ = f.call(t, method, path, body, nil, f.readOnly)
		if status != http.StatusForbidden {
			t.Errorf("read-only token: status %d, want 403", status)
		}
	}

	if after := fingerprint(t, f.s); after != before {
		t.Errorf("refused calls changed the database")
	}
}

// as calls the route as u: with u's token on the API, u's session in the UI.
func (f *isolation) as(t *testing.T, u *tandem.User, method, path, body string) (int, string, http.Header) {
	if strings.HasPrefix(path, "/api/") {
		return f.call(t, method, path, body, nil, f.tokens[u])
	}
	return f.call(t, method, path, body, f.sessions[u], "")
}

func (f *isolation) call(t *testing.T, method, path, body string, cookie *http.Cookie, token string) (int, string, http.Header) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.s.HTTPServer.URL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		switch {
		case strings.HasPrefix(body, "--"+uploadBoundary):
			req.Header.Set("Content-Type", "multipart/form-data; boundary="+uploadBoundary)
		case strings.HasPrefix(body, "BEGIN:VCALENDAR"):
			req.Header.Set("Content-Type", "text/calendar")
		case strings.HasPrefix(path, "/api/"):
			req.Header.Set("Content-Type", "application/json")
		default:
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		// A stream does not end: its first event is the answer.
		event, _ := bufio.NewReader(resp.Body).ReadString('\n')
		return resp.StatusCode, event, resp.Header
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// fingerprint hashes every row of the tables holding tenant state, leaving
// out what reading legitimately touches (last use of tokens and sessions, the
// audit trail and failed-login records).
func fingerprint(t *testing.T, s *testserver.Server) string {
	t.Helper()
	db := openRaw(t, s)
	defer db.Close()
	h := sha256.New()
	tables := []string{"provider", "organizations", "parties", "users", "user_organizations", "api_tokens", "invitations", "recovery_codes", "sessions", "service_areas", "matrix_versions", "matrix_assignments",
		"tickets", "ticket_tags", "ticket_watchers", "ticket_pauses", "ticket_events", "ticket_handoffs", "ticket_time_entries", "ticket_attachments",
		"blobs", "sla_timers", "business_calendars", "sla_policies", "notification_preferences", "password_resets",
		"escalation_policies", "incidents", "incident_steps", "incident_ack_tokens", "webhooks", "notifications", "oncall_schedules",
		"enrollment_tokens", "agent_checks", "agent_config_revisions", "devices", "device_inventories", "device_samples", "device_rollups", "device_checks", "device_events"}
	// oncall_feeds is left out: making one's own feed link writes a row there.
	sort.Strings(tables)
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM " + table + " ORDER BY 1")
		if err != nil {
			t.Fatalf("fingerprint %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				if c == "last_used_at" || c == "last_seen_at" || table == "notifications" && deliveryProgress[c] {
					continue
				}
				fmt.Fprintf(h, "%s.%s=%v;", table, c, vals[i])
			}
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// deliveryProgress are the columns of notifications the running scheduler
// moves while the calls are made: a row an outsider adds or changes still
// shows in the others.
var deliveryProgress = map[string]bool{"state": true, "attempts": true, "next_attempt_at": true, "claimed_by": true, "last_error": true, "delivered_at": true}

// actorFor builds the actor a session or token of u resolves to.
func actorFor(u *tandem.User) *tandem.Actor {
	a := &tandem.Actor{UserID: u.ID, Email: u.Email, Party: u.Party, Role: u.Role}
	if u.OrganizationID != nil {
		a.OrganizationID = *u.OrganizationID
	}
	return a
}
