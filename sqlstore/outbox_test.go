package sqlstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/sqlstore"
)

// The outbox under test: notifications written in a transaction, claimed
// by schedulers, posted to a real HTTP receiver and recorded. The webhook
// channel's own deliverer (signing, formats, the address guard) has its
// own tests; postDeliverer is the least a deliverer does.

// postDeliverer posts a delivery's id and subject to its webhook's URL
// and reports the receiver's status: 2xx is delivered, 4xx other than 408
// and 429 fails for good, anything else is retried.
type postDeliverer struct{ client *http.Client }

func (p *postDeliverer) Deliver(ctx context.Context, d *tandem.Delivery) error {
	body, _ := json.Marshal(map[string]any{"id": d.ID, "subject": d.Subject})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return &tandem.PermanentError{Err: err}
	}
	req.Header.Set("Tandem-Notification", strconv.FormatInt(d.ID, 10))
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	d.Status = resp.StatusCode
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return &tandem.PermanentError{Err: fmt.Errorf("the receiver answered %s", resp.Status)}
	}
	return fmt.Errorf("the receiver answered %s", resp.Status)
}

// receiver is an HTTP server standing for a webhook's receiver: it records
// every request it gets, by notification id, at the desk's clock, and
// answers what answer says (200 when nil).
type receiver struct {
	*httptest.Server
	clock  *clock
	mu     sync.Mutex
	got    map[int64][]time.Time
	answer func(id int64, n int) int // n: how many requests of id so far, this one included
}

func newReceiver(t *testing.T, c *clock) *receiver {
	t.Helper()
	r := &receiver{clock: c, got: map[int64][]time.Time{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id, err := strconv.ParseInt(req.Header.Get("Tandem-Notification"), 10, 64)
		if err != nil || req.Method != http.MethodPost {
			http.Error(w, "not a delivery", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got[id] = append(r.got[id], r.clock.Now())
		n, answer := len(r.got[id]), r.answer
		r.mu.Unlock()
		status := http.StatusOK
		if answer != nil {
			status = answer(id, n)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

// times returns the instants the receiver got notification id.
func (r *receiver) times(id int64) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.got[id]...)
}

// total is how many requests the receiver got.
func (r *receiver) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ts := range r.got {
		n += len(ts)
	}
	return n
}

// outbox is the cast with a webhook to the receiver and a scheduler that
// delivers webhooks, with its jitter fixed at the middle of its spread.
type outbox struct {
	*webhookWorld
	Recv      *receiver
	Hook      *tandem.Webhook // Acme's webhook, to the receiver
	Scheduler *sqlstore.Scheduler
}

func newOutbox(t *testing.T, db *sqlstore.DB) *outbox {
	t.Helper()
	o := &outbox{webhookWorld: newWebhookWorld(t, db)}
	o.Recv = newReceiver(t, o.Clock)
	o.Hook = o.mustWebhook(t, o.AAdmin, &o.OrgA.ID, "Receiver", o.Recv.URL+"/hook")
	o.Scheduler = o.newScheduler("scheduler-1")
	return o
}

// newScheduler returns a scheduler of the outbox's database named owner.
func (o *outbox) newScheduler(owner string) *sqlstore.Scheduler {
	s := sqlstore.NewScheduler(o.DB, sqlstore.NewSLAService(o.DB))
	s.Owner = owner
	s.Deliverers[tandem.ChannelWebhook] = &postDeliverer{client: o.Recv.Client()}
	s.Jitter = func() float64 { return 0.5 }
	return s
}

// webhookNote is a notification to webhook h, not yet written.
func webhookNote(h *tandem.Webhook, subject string) *tandem.Notification {
	return &tandem.Notification{OrganizationID: h.OrganizationID, WebhookID: &h.ID, Channel: tandem.ChannelWebhook, Kind: tandem.NotifyNewTicket,
		Subject: subject, Body: subject}
}

// runDue runs s at the clock's now, failing the test on an error.
func (o *outbox) runDue(t *testing.T, s *sqlstore.Scheduler) map[string]int {
	t.Helper()
	fired, err := s.RunDue(systemCtx(t), o.Clock.Now())
	if err != nil {
		t.Fatalf("RunDue at %s: %v", o.Clock.Now().Format(time.RFC3339), err)
	}
	return fired
}

// load reads notification id as stored.
func (o *outbox) load(t *testing.T, id int64) *tandem.Notification {
	t.Helper()
	n, err := sqlstore.LoadNotification(t.Context(), o.DB, id)
	if err != nil {
		t.Fatalf("load notification %d: %v", id, err)
	}
	return n
}

func TestOutboxTransaction(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		o := newOutbox(t, db)

		t.Run("RolledBackNeverDelivered", func(t *testing.T) {
			n := webhookNote(o.Hook, "rolled back")
			if err := sqlstore.EnqueueIn(t.Context(), db, false, n); err != nil {
				t.Fatal(err)
			}
			o.runDue(t, o.Scheduler)
			o.Clock.Advance(time.Hour)
			o.runDue(t, o.Scheduler)
			if got := o.Recv.total(); got != 0 {
				t.Fatalf("the receiver got %d requests of a rolled-back notification", got)
			}
			if _, err := sqlstore.LoadNotification(t.Context(), db, n.ID); err == nil {
				t.Fatal("the rolled-back notification is stored")
			}
		})

		t.Run("CommittedDeliveredOnce", func(t *testing.T) {
			n, err := o.Webhooks.TestWebhook(as(t, o.AAdmin), o.Hook.ID)
			if err != nil {
				t.Fatal(err)
			}
			sent := o.Clock.Now()
			if fired := o.runDue(t, o.Scheduler); fired["deliveries"] != 1 {
				t.Fatalf("fired %v, want one delivery", fired)
			}
			// Nothing is due any more, now or after the lease.
			o.runDue(t, o.Scheduler)
			o.Clock.Advance(10 * time.Minute)
			o.runDue(t, o.Scheduler)
			if got := o.Recv.times(n.ID); len(got) != 1 || !got[0].Equal(sent) {
				t.Fatalf("the receiver got the test at %v, want once at %v", got, sent)
			}
			stored := o.load(t, n.ID)
			if stored.State != tandem.DeliverySent || stored.DeliveredAt == nil || !stored.DeliveredAt.Equal(sent) || stored.Attempts != 1 {
				t.Fatalf("stored %+v, want sent at %v after one attempt", stored, sent)
			}
			log, err := o.Webhooks.FindDeliveries(as(t, o.AAdmin), o.Hook.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(log) == 0 || log[0].ID != n.ID || len(log[0].AttemptLog) != 1 || !log[0].AttemptLog[0].OK || log[0].AttemptLog[0].Status != 200 {
				t.Fatalf("delivery log %+v: want the test first, with one 200 attempt", log)
			}
		})
	})
}

// TestOutboxWebhookTurnedOff: turning a webhook off stops what is still
// pending for it — kept unsent in the outbox, no failure told to the
// admins who turned it off — while its "Send a test" still posts, so it
// can be tried before it is turned on.
func TestOutboxWebhookTurnedOff(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		o := newOutbox(t, db)
		pending := webhookNote(o.Hook, "queued before it was turned off")
		if err := sqlstore.EnqueueForTest(t.Context(), db, pending); err != nil {
			t.Fatal(err)
		}
		off := *o.Hook
		off.Active = false
		if err := o.Webhooks.UpdateWebhook(as(t, o.AAdmin), &off); err != nil {
			t.Fatal(err)
		}
		o.runDue(t, o.Scheduler)
		if got := o.Recv.times(pending.ID); len(got) != 0 {
			t.Fatalf("the receiver got %d requests for a webhook turned off", len(got))
		}
		if stored := o.load(t, pending.ID); stored.State != tandem.DeliveryHeld || !strings.Contains(stored.LastError, "turned off") {
			t.Fatalf("stored %s %q, want held, saying the webhook was turned off", stored.State, stored.LastError)
		}
		after, err := sqlstore.OutboxAfter(db, pending.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range after {
			if n.Kind == tandem.NotifyDeliveryFailed {
				t.Fatalf("the admins were told a delivery failed: %s", n.Body)
			}
		}

		test, err := o.Webhooks.TestWebhook(as(t, o.AAdmin), o.Hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		o.runDue(t, o.Scheduler)
		if got := o.Recv.times(test.ID); len(got) != 1 || o.load(t, test.ID).State != tandem.DeliverySent {
			t.Fatalf("the test of a webhook turned off: %d requests, %s; want it sent once", len(got), o.load(t, test.ID).State)
		}
	})
}

// TestOutboxConcurrentSchedulers runs two schedulers on one database at
// once: every notification reaches the receiver exactly once.
func TestOutboxConcurrentSchedulers(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		o := newOutbox(t, db)
		const count = 500
		ns := make([]*tandem.Notification, count)
		for i := range ns {
			ns[i] = webhookNote(o.Hook, "bulk "+strconv.Itoa(i))
		}
		if err := sqlstore.EnqueueIn(t.Context(), db, true, ns...); err != nil {
			t.Fatal(err)
		}
		schedulers := []*sqlstore.Scheduler{o.Scheduler, o.newScheduler("scheduler-2")}
		fired := make([]int, len(schedulers))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range schedulers {
			s.Workers = 4
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// Each runs until it finds nothing to do: the two race for
				// every claim.
				for {
					f, err := s.RunDue(systemCtx(t), o.Clock.Now())
					if err != nil {
						t.Errorf("%s: %v", s.Owner, err)
						return
					}
					if f["deliveries"] == 0 {
						return
					}
					fired[i] += f["deliveries"]
				}
			}()
		}
		close(start)
		wg.Wait()
		for _, n := range ns {
			if got := len(o.Recv.times(n.ID)); got != 1 {
				t.Errorf("notification %d reached the receiver %d times, want once", n.ID, got)
			}
		}
		if fired[0]+fired[1] != count {
			t.Errorf("the schedulers fired %v deliveries, want %d in all", fired, count)
		}
		t.Logf("delivered by scheduler-1: %d, scheduler-2: %d", fired[0], fired[1])
	})
}

// TestOutboxLease: a delivery claimed by a scheduler that dies before it
// records the attempt waits out the lease, is claimed again and delivered
// once; the dead scheduler's late answer changes nothing.
func TestOutboxLease(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, db *sqlstore.DB) {
		o := newOutbox(t, db)
		n := webhookNote(o.Hook, "claimed by the dead")
		if err := sqlstore.EnqueueIn(t.Context(), db, true, n); err != nil {
			t.Fatal(err)
		}
		claimed, err := sqlstore.ClaimDeliveries(t.Context(), db, o.Clock.Now(), "dead", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(claimed) != 1 || claimed[0].ID != n.ID || claimed[0].Webhook == nil || claimed[0].Webhook.Secret == "" {
			t.Fatalf("claimed %+v: want the notification with its webhook and secret", claimed)
		}
		o.Clock.Advance(time.Minute)
		o.runDue(t, o.Scheduler)
		if got := o.Recv.total(); got != 0 {
			t.Fatalf("delivered %d times while the dead scheduler's lease holds", got)
		}
		next, err := o.Scheduler.NextDue(systemCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if want := n.CreatedAt.Add(2 * time.Minute); !next.Equal(want) {
			t.Fatalf("NextDue = %v, want the lease's end %v", next, want)
		}
		o.Clock.Advance(time.Minute)
		o.runDue(t, o.Scheduler)
		if got := o.Recv.times(n.ID); len(got) != 1 {
			t.Fatalf("after the lease the receiver got it %d times, want once", len(got))
		}
		// The dead scheduler wakes and reports a failure: its claim is gone.
		if err := sqlstore.RecordAttempt(t.Context(), db, claimed[0], "dead", o.Clock.Now(), 500, fmt.Errorf("timed out")); err != nil {
			t.Fatal(err)
		}
		o.Clock.Advance(time.Hour)
		o.runDue(t, o.Scheduler)
		stored := o.load(t, n.ID)
		if stored.State != tandem.DeliverySent || len(o.Recv.times(n.ID)) != 1 {
			t.Fatalf("after the dead scheduler's answer: state %s, %d requests; want sent once", stored.State, len(o.Recv.times(n.ID)))
		}
		log, _ := o.Webhooks.FindDeliveries(as(t, o.AAdmin), o.Hook.ID, 1)
		if len(log[0].AttemptLog) != 1 || !log[0].AttemptLog[0].OK {
			t.Fatalf("attempts %+v: want the one that delivered", log[0].AttemptLog)
		}
	})
}
