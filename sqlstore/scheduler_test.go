package sqlstore_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// nextDue is the scheduler's next due instant, failing on an error.
func (o *outbox) nextDue(t *testing.T) time.Time {
	t.Helper()
	next, err := o.Scheduler.NextDue(systemCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// setClock moves the desk's clock to at.
func (o *outbox) setClock(at time.Time) { o.Clock.Advance(at.Sub(o.Clock.Now())) }

// failedNotes returns the users told in-app that a delivery failed.
func failedNotes(t *testing.T, db *sqlstore.DB, users ...*tandem.User) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, u := range users {
		n, err := sqlstore.CountRaw(db, `SELECT COUNT(*) FROM notifications WHERE channel = 'inapp' AND kind = 'delivery_failed' AND user_id = ?`, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			out[u.Email] = n
		}
	}
	return out
}

// TestSchedulerRetries: a receiver answering 500, 500 and then 200 gets
// the delivery at the instants RetryDelay gives, and one success.
func TestSchedulerRetries(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		o := newOutbox(t, db)
		o.Recv.answer = func(_ int64, n int) int {
			if n < 3 {
				return 500
			}
			return 200
		}
		n := webhookNote(o.Hook, "retried")
		if err := sqlstore.EnqueueIn(t.Context(), db, true, n); err != nil {
			t.Fatal(err)
		}
		t0 := o.Clock.Now()
		want := []time.Time{t0, t0.Add(tandem.RetryDelay(1, 0.5)), t0.Add(tandem.RetryDelay(1, 0.5) + tandem.RetryDelay(2, 0.5))}
		for i, at := range want {
			if got := o.nextDue(t); !got.Equal(at) {
				t.Fatalf("before attempt %d NextDue = %v, want %v", i+1, got, at)
			}
			// A moment early, nothing is sent.
			o.setClock(at.Add(-time.Second))
			o.runDue(t, o.Scheduler)
			if got := len(o.Recv.times(n.ID)); got != i {
				t.Fatalf("a second before attempt %d the receiver has %d requests, want %d", i+1, got, i)
			}
			o.setClock(at)
			o.runDue(t, o.Scheduler)
		}
		if got := o.Recv.times(n.ID); !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Fatalf("requests at %v, want %v", got, want)
		}
		stored := o.load(t, n.ID)
		if stored.State != tandem.DeliverySent || stored.Attempts != 3 || stored.LastError != "" {
			t.Fatalf("stored %+v: want sent after 3 attempts, no error left", stored)
		}
		if next := o.nextDue(t); !next.IsZero() {
			t.Fatalf("NextDue = %v after the delivery, want nothing due", next)
		}
		log, _ := o.Webhooks.FindDeliveries(as(t, o.AAdmin), o.Hook.ID, 1)
		var statuses []int
		for _, a := range log[0].AttemptLog {
			statuses = append(statuses, a.Status)
		}
		if !slices.Equal(statuses, []int{500, 500, 200}) || log[0].AttemptLog[0].Error == "" || log[0].AttemptLog[2].Error != "" {
			t.Fatalf("attempt log %+v: want 500, 500 (with their errors), 200", log[0].AttemptLog)
		}
	})
}

// TestSchedulerGivesUp: past the retry window a failing delivery fails
// for good, its owner's admins are told in-app and the failure is
// audited; a refusal that retrying cannot cure fails at once.
func TestSchedulerGivesUp(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		o := newOutbox(t, db)
		o.Recv.answer = func(int64, int) int { return 503 }

		t.Run("RetryWindow", func(t *testing.T) {
			// A provider webhook carrying Acme's message (for the provider's
			// team: Acme's own webhook does not get it): its failure is the
			// provider's to hear of, not Acme's.
			prov := o.mustWebhook(t, o.Admin, nil, "Provider receiver", o.Recv.URL+"/provider")
			if err := sqlstore.FanOut(t.Context(), db, &o.OrgA.ID, tandem.NotifyHandoff, tandem.PartyProvider, "never answered"); err != nil {
				t.Fatal(err)
			}
			log, _ := o.Webhooks.FindDeliveries(as(t, o.Admin), prov.ID, 1)
			n := log[0]
			mark := auditMark(t, db)
			end := n.CreatedAt.Add(tandem.RetryWindow)
			for i := 0; o.load(t, n.ID).State == tandem.DeliveryPending; i++ {
				if i > 100 {
					t.Fatal("still pending after 100 attempts")
				}
				o.setClock(o.nextDue(t))
				o.runDue(t, o.Scheduler)
			}
			times := o.Recv.times(n.ID)
			last := times[len(times)-1]
			if last.Before(end) || times[len(times)-2].After(end) {
				t.Fatalf("the last attempt was at %v, the one before at %v: want the window's end %v between them", last, times[len(times)-2], end)
			}
			for i := 1; i < len(times); i++ {
				if gap := times[i].Sub(times[i-1]); gap != tandem.RetryDelay(i, 0.5) {
					t.Fatalf("attempt %d came %v after the one before, want %v", i+1, gap, tandem.RetryDelay(i, 0.5))
				}
			}
			stored := o.load(t, n.ID)
			if stored.State != tandem.DeliveryFailed || !strings.Contains(stored.LastError, "503") || stored.NextAttemptAt != nil {
				t.Fatalf("stored %+v: want failed with the receiver's answer", stored)
			}
			if got := failedNotes(t, db, o.Admin, o.AAdmin, o.Tech); len(got) != 1 || got[o.Admin.Email] != 1 {
				t.Fatalf("told of the failure: %v, want the provider admin once", got)
			}
			entries := wantAudit(t, db, mark, "notification.failed")
			if entries[0].OrganizationID != nil {
				t.Fatalf("the failure of a provider webhook is audited in organisation %d's chain", *entries[0].OrganizationID)
			}
			// Failed for good: nothing more is sent.
			o.Clock.Advance(48 * time.Hour)
			o.runDue(t, o.Scheduler)
			if len(o.Recv.times(n.ID)) != len(times) {
				t.Fatal("a failed delivery was attempted again")
			}
		})

		t.Run("Permanent", func(t *testing.T) {
			o.Recv.answer = func(int64, int) int { return 410 }
			n := webhookNote(o.Hook, "gone")
			if err := sqlstore.EnqueueIn(t.Context(), db, true, n); err != nil {
				t.Fatal(err)
			}
			before := failedNotes(t, db, o.Admin, o.AAdmin)
			o.runDue(t, o.Scheduler)
			if o.load(t, n.ID).State != tandem.DeliveryFailed || len(o.Recv.times(n.ID)) != 1 {
				t.Fatalf("a 410 left the delivery %s after %d requests, want failed after one", o.load(t, n.ID).State, len(o.Recv.times(n.ID)))
			}
			after := failedNotes(t, db, o.Admin, o.AAdmin)
			if after[o.Admin.Email] != before[o.Admin.Email]+1 || after[o.AAdmin.Email] != before[o.AAdmin.Email]+1 {
				t.Fatalf("told of Acme's webhook failing: %v then %v, want the provider admin and Acme's it-admin once more", before, after)
			}
		})
	})
}

// TestSchedulerHeldEmail: an email with no email deliverer is held in the
// outbox with the reason, and never attempted again.
func TestSchedulerHeldEmail(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		o := newOutbox(t, db)
		n := &tandem.Notification{OrganizationID: &o.OrgA.ID, UserID: &o.ATech.ID, Address: o.ATech.Email, Channel: tandem.ChannelEmail,
			Kind: tandem.NotifyAssigned, Subject: "Assigned to you", Body: "A ticket."}
		if err := sqlstore.EnqueueIn(t.Context(), db, true, n); err != nil {
			t.Fatal(err)
		}
		o.runDue(t, o.Scheduler)
		stored := o.load(t, n.ID)
		if stored.State != tandem.DeliveryHeld || !strings.Contains(stored.LastError, "No SMTP server is configured") || stored.NextAttemptAt != nil {
			t.Fatalf("stored %+v: want held, saying no SMTP server is configured", stored)
		}
		if next := o.nextDue(t); !next.IsZero() {
			t.Fatalf("NextDue = %v with only a held email, want nothing due", next)
		}
	})
}

// TestSchedulerWake: a commit that wrote email or webhook work wakes the
// scheduler; one that wrote in-app notifications only, or rolled back,
// does not.
func TestSchedulerWake(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		o := newOutbox(t, db)
		woke := func() bool {
			select {
			case <-o.Scheduler.Wake():
				return true
			default:
				return false
			}
		}
		woke() // the cast's creation may have left a signal
		inApp := &tandem.Notification{OrganizationID: &o.OrgA.ID, UserID: &o.ATech.ID, Channel: tandem.ChannelInApp, Kind: tandem.NotifyAssigned,
			Subject: "Assigned", Body: "A ticket."}
		email := &tandem.Notification{OrganizationID: &o.OrgA.ID, UserID: &o.ATech.ID, Address: o.ATech.Email, Channel: tandem.ChannelEmail,
			Kind: tandem.NotifyAssigned, Subject: "Assigned", Body: "A ticket."}
		tests := []struct {
			name   string
			commit bool
			ns     []*tandem.Notification
			want   bool
		}{
			{"InAppOnly", true, []*tandem.Notification{inApp}, false},
			{"WebhookRolledBack", false, []*tandem.Notification{webhookNote(o.Hook, "rolled back")}, false},
			{"Webhook", true, []*tandem.Notification{webhookNote(o.Hook, "committed")}, true},
			{"Email", true, []*tandem.Notification{email}, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := sqlstore.EnqueueIn(t.Context(), db, tt.commit, tt.ns...); err != nil {
					t.Fatal(err)
				}
				if got := woke(); got != tt.want {
					t.Fatalf("woke = %v, want %v", got, tt.want)
				}
			})
		}
		// Sending a test through the service wakes it too.
		if _, err := o.Webhooks.TestWebhook(as(t, o.AAdmin), o.Hook.ID); err != nil {
			t.Fatal(err)
		}
		if !woke() {
			t.Fatal("a webhook test did not wake the scheduler")
		}
	})
}
