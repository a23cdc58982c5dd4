package sqlstore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// inbox is the desk with one ticket of Org and notifications about it to
// people of both parties, the requester, a webhook of each party, and one
// row of the outsider organisation.
type inbox struct {
	*desk
	Notes   *sqlstore.NotificationService
	Ticket  *tandem.Ticket
	ByLabel map[string]*tandem.Notification
}

func newInbox(t *testing.T, db *sqlstore.DB) *inbox {
	t.Helper()
	d := newDesk(t, db)
	in := &inbox{desk: d, Notes: sqlstore.NewNotificationService(db), ByLabel: map[string]*tandem.Notification{}}
	in.Ticket = d.open(d.Requester, "end-user-support", "Printer on fire")
	now := at(d.Clock.Now())
	for _, wh := range []struct {
		id    int64
		org   any
		party string
	}{{1, d.Org.ID, "internal"}, {2, nil, "provider"}} {
		if err := sqlstore.ExecRaw(db, `INSERT INTO webhooks (id, organization_id, party, name, url, format, secret, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'https://hooks.example/x', 'json', 'secret', ?, ?)`, wh.id, wh.org, wh.party, wh.party+" chat", now, now); err != nil {
			t.Fatal(err)
		}
	}
	// The fixture's own rows only: the rules told people of the ticket's
	// creation already.
	if err := sqlstore.ExecRaw(db, `DELETE FROM notifications`); err != nil {
		t.Fatal(err)
	}
	org, tid := d.Org.ID, in.Ticket.ID
	row := func(label string, u *tandem.User, ch tandem.Channel) {
		n := &tandem.Notification{OrganizationID: &org, TicketID: &tid, Channel: ch, Kind: tandem.NotifyWatchedComment,
			Subject: "Subject for " + label, Body: "Body for " + label, Link: "/tickets/1", ActionURL: "https://tandem.example/ack/secret-" + label}
		if u != nil {
			id := u.ID
			n.UserID = &id
			if ch == tandem.ChannelEmail {
				n.Address = u.Email
			}
		}
		in.ByLabel[label] = n
		if err := sqlstore.EnqueueForTest(t.Context(), db, n); err != nil {
			t.Fatal(err)
		}
	}
	row("tech-app", d.ProviderTech, tandem.ChannelInApp)
	row("tech-mail", d.ProviderTech, tandem.ChannelEmail)
	row("ittech-app", d.ITTech, tandem.ChannelInApp)
	row("ittech-mail", d.ITTech, tandem.ChannelEmail)
	row("requester-app", d.Requester, tandem.ChannelInApp)
	row("requester-mail", d.Requester, tandem.ChannelEmail)
	row("tech-app-2", d.ProviderTech, tandem.ChannelInApp)
	for label, id := range map[string]int64{"webhook-internal": 1, "webhook-provider": 2} {
		row(label, nil, tandem.ChannelWebhook)
		wid := id
		in.ByLabel[label].WebhookID = &wid
		if err := sqlstore.ExecRaw(db, `UPDATE notifications SET webhook_id = ? WHERE id = ?`, wid, in.ByLabel[label].ID); err != nil {
			t.Fatal(err)
		}
	}
	out := d.Outsider.ID
	outsider := &tandem.Notification{OrganizationID: &out, UserID: &d.OutsiderAdmin.ID, Channel: tandem.ChannelInApp, Kind: tandem.NotifySLABreach,
		Subject: "Globex breach", Body: "Globex body"}
	in.ByLabel["outsider-app"] = outsider
	if err := sqlstore.EnqueueForTest(t.Context(), db, outsider); err != nil {
		t.Fatal(err)
	}
	return in
}

// at formats an instant as the store writes it on either database.
func at(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// ids are the notifications' ids, in order.
func ids(list []*tandem.Notification) []int64 {
	out := []int64{}
	for _, n := range list {
		out = append(out, n.ID)
	}
	return out
}

func (in *inbox) id(labels ...string) []int64 {
	out := []int64{}
	for _, l := range labels {
		out = append(out, in.ByLabel[l].ID)
	}
	return out
}

func TestNotificationInbox(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		in := newInbox(t, db)

		t.Run("AUserSeesOnlyTheirOwnInAppNotificationsNewestFirst", func(t *testing.T) {
			list, err := in.Notes.FindNotifications(in.as(in.ProviderTech), tandem.NotificationFilter{})
			wantCode(t, err, "")
			if got, want := ids(list), in.id("tech-app-2", "tech-app"); !slices.Equal(got, want) {
				t.Fatalf("technician's notifications = %v, want %v (in-app only, newest first)", got, want)
			}
			list, err = in.Notes.FindNotifications(in.as(in.ITTech), tandem.NotificationFilter{})
			wantCode(t, err, "")
			if got, want := ids(list), in.id("ittech-app"); !slices.Equal(got, want) {
				t.Fatalf("IT technician's notifications = %v, want %v", got, want)
			}
			page, err := in.Notes.FindNotifications(in.as(in.ProviderTech), tandem.NotificationFilter{Limit: 1, BeforeID: list[0].ID + 100})
			wantCode(t, err, "")
			if len(page) != 1 || page[0].ID != in.ByLabel["tech-app-2"].ID {
				t.Fatalf("a page of one = %v, want the newest", ids(page))
			}
		})

		t.Run("MarkReadOfAnotherUsersNotificationDoesNothing", func(t *testing.T) {
			wantCode(t, in.Notes.MarkRead(in.as(in.ITTech), in.id("tech-app")), "")
			n, err := in.Notes.UnreadCount(in.as(in.ProviderTech))
			wantCode(t, err, "")
			if n != 2 {
				t.Fatalf("technician's unread count = %d after another user marked their notification, want 2", n)
			}
		})

		t.Run("MarkReadOneThenAll", func(t *testing.T) {
			ctx := in.as(in.ProviderTech)
			wantCode(t, in.Notes.MarkRead(ctx, in.id("tech-app")), "")
			unread, err := in.Notes.FindNotifications(ctx, tandem.NotificationFilter{Unread: true})
			wantCode(t, err, "")
			if got, want := ids(unread), in.id("tech-app-2"); !slices.Equal(got, want) {
				t.Fatalf("unread after marking one = %v, want %v", got, want)
			}
			wantCode(t, in.Notes.MarkRead(ctx, nil), "")
			if n, _ := in.Notes.UnreadCount(ctx); n != 0 {
				t.Fatalf("unread after marking all = %d, want 0", n)
			}
			if n, _ := in.Notes.UnreadCount(in.as(in.ITTech)); n != 1 {
				t.Fatalf("IT technician's unread = %d after the technician marked all theirs, want 1", n)
			}
			wantCode(t, in.Notes.MarkRead(ctx, make([]int64, 501)), tandem.EINVALID)
		})

		t.Run("ItAdminOutboxHoldsOnlyTheirOrganisationsOwnRecipients", func(t *testing.T) {
			list, err := in.Notes.FindOutbox(in.as(in.ITAdmin), tandem.NotificationFilter{})
			wantCode(t, err, "")
			want := in.id("webhook-internal", "requester-mail", "requester-app", "ittech-mail", "ittech-app")
			got := ids(list)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("it-admin's outbox = %v, want %v: their organisation's users and webhooks only", got, want)
			}
			list, err = in.Notes.FindOutbox(in.as(in.OutsiderAdmin), tandem.NotificationFilter{})
			wantCode(t, err, "")
			if got, want := ids(list), in.id("outsider-app"); !slices.Equal(got, want) {
				t.Fatalf("outsider it-admin's outbox = %v, want only their own organisation's %v", got, want)
			}
		})

		t.Run("ProviderAdminSeesEveryRow", func(t *testing.T) {
			list, err := in.Notes.FindOutbox(in.as(in.ProviderAdmin), tandem.NotificationFilter{})
			wantCode(t, err, "")
			if len(list) != len(in.ByLabel) {
				t.Fatalf("provider admin's outbox has %d rows, want all %d", len(list), len(in.ByLabel))
			}
			email := tandem.ChannelEmail
			list, err = in.Notes.FindOutbox(in.as(in.ProviderAdmin), tandem.NotificationFilter{Channel: &email})
			wantCode(t, err, "")
			if len(list) != 3 {
				t.Fatalf("provider admin's email rows = %d, want 3", len(list))
			}
		})

		t.Run("ActionURLIsNeverReturned", func(t *testing.T) {
			for _, u := range []*tandem.User{in.ProviderAdmin, in.ITAdmin, in.ProviderTech, in.ITTech} {
				list, err := in.Notes.FindOutbox(in.as(u), tandem.NotificationFilter{TicketID: &in.Ticket.ID})
				wantCode(t, err, "")
				if len(list) == 0 {
					t.Fatalf("%s sees no notifications of the ticket", u.Email)
				}
				for _, n := range list {
					if n.ActionURL != "" {
						t.Fatalf("%s reads action_url %q of notification %d", u.Email, n.ActionURL, n.ID)
					}
				}
			}
		})

		t.Run("RequestersAndNonAdminsCannotReadTheOutbox", func(t *testing.T) {
			_, err := in.Notes.FindOutbox(in.as(in.Requester), tandem.NotificationFilter{})
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = in.Notes.FindOutbox(in.as(in.Requester), tandem.NotificationFilter{TicketID: &in.Ticket.ID})
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = in.Notes.FindOutbox(in.as(in.ProviderTech), tandem.NotificationFilter{})
			wantCode(t, err, tandem.EFORBIDDEN)
			_, err = in.Notes.FindOutbox(in.as(in.OutsiderAdmin), tandem.NotificationFilter{TicketID: &in.Ticket.ID})
			wantCode(t, err, tandem.ENOTFOUND)
		})

		t.Run("TheTicketsTeamsSeeWhoWasNotifiedNotTheOtherPartysContent", func(t *testing.T) {
			list, err := in.Notes.FindOutbox(in.as(in.ITTech), tandem.NotificationFilter{TicketID: &in.Ticket.ID})
			wantCode(t, err, "")
			if len(list) != 9 {
				t.Fatalf("IT technician sees %d notifications of the ticket, want all 9", len(list))
			}
			for _, n := range list {
				provider := n.UserID != nil && *n.UserID == in.ProviderTech.ID || n.WebhookID != nil && *n.WebhookID == 2
				if provider != (n.Subject == "" && n.Body == "") {
					t.Errorf("notification %d to %q: subject %q shown to the internal team (hidden exactly for the provider's recipients)", n.ID, n.Recipient, n.Subject)
				}
				if n.Recipient == "" {
					t.Errorf("notification %d names no recipient", n.ID)
				}
			}
			for _, n := range list {
				if n.ID == in.ByLabel["requester-mail"].ID && (n.Recipient != "alice" || n.Address != "alice@acme.test") {
					t.Errorf("the requester's email is to %q <%s>, want alice <alice@acme.test>", n.Recipient, n.Address)
				}
				if n.ID == in.ByLabel["webhook-provider"].ID && n.Recipient != "provider webhook" {
					t.Errorf("the provider's webhook is named %q to the internal team, want \"provider webhook\"", n.Recipient)
				}
			}
		})
	})
}

func TestInboxHub(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		d := newDesk(t, db)
		mine, cancel := db.Inbox().Subscribe(d.ProviderTech.ID)
		defer cancel()
		others, cancelOthers := db.Inbox().Subscribe(d.ITTech.ID)
		defer cancelOthers()
		note := func(u *tandem.User) *tandem.Notification {
			return &tandem.Notification{OrganizationID: &d.Org.ID, UserID: &u.ID, Channel: tandem.ChannelInApp, Kind: tandem.NotifyAssigned, Subject: "s", Body: "b"}
		}
		signalled := func(ch <-chan struct{}) bool {
			select {
			case <-ch:
				return true
			default:
				return false
			}
		}
		// A rolled-back write tells nobody.
		wantCode(t, sqlstore.EnqueueThenRollback(t.Context(), db, note(d.ProviderTech)), "")
		if signalled(mine) {
			t.Fatal("a rolled-back notification signalled its recipient")
		}
		// The signal is sent when the commit has returned, so it is there now.
		wantCode(t, sqlstore.EnqueueForTest(t.Context(), db, note(d.ProviderTech)), "")
		if !signalled(mine) {
			t.Fatal("a committed notification did not signal its recipient")
		}
		if signalled(others) {
			t.Fatal("another user's notification signalled this user")
		}
		// Marking read tells the reader's other tabs.
		wantCode(t, sqlstore.NewNotificationService(db).MarkRead(d.as(d.ProviderTech), nil), "")
		if !signalled(mine) {
			t.Fatal("marking read did not signal the reader")
		}
		cancel()
		wantCode(t, sqlstore.EnqueueForTest(t.Context(), db, note(d.ProviderTech)), "")
		if signalled(mine) {
			t.Fatal("a cancelled subscription was signalled")
		}
	})
}
