package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/app"
	"github.com/tandemhq/tandem/internal/testserver"
	"github.com/tandemhq/tandem/internal/testsmtp"
	"github.com/tandemhq/tandem/sqlstore"
)

// BenchmarkOutboxDelivery measures the outbox draining a burst: each
// iteration writes 10,000 notifications in one transaction (5,000 emails
// and 5,000 webhook deliveries) into a running server with the default
// settings, whose scheduler sends them to a real SMTP server over STARTTLS
// and to a webhook receiver that checks each signature. The iteration ends
// when the last one has arrived; then every one must have arrived exactly
// once and be recorded sent.
//
//	go test ./app -run '^$' -bench OutboxDelivery -benchtime 3x
func BenchmarkOutboxDelivery(b *testing.B) {
	const burst = 10_000
	eachDialect(b, func(b *testing.B, newMain func() *app.Main) {
		smtpd := testsmtp.Start(b, false, true)
		s := testserver.StartWith(b, withMail(newMain(), smtpd))
		hooks := newWebhookReceiver(b)
		hook := providerWebhook(b, s, hooks)
		org := s.MustCreateOrganization(b, "Bench Client")
		tech := s.MustCreateUser(b, &tandem.User{Email: "tech@msp.example", Role: tandem.RoleTechnician, Organizations: []int64{org.ID}}, "bench-password-1")
		delivered := 0
		for b.Loop() {
			b.StopTimer()
			ns := make([]*tandem.Notification, burst)
			for i := range ns {
				n := &tandem.Notification{OrganizationID: &org.ID, Kind: tandem.NotifyNewTicket, Priority: 3,
					Subject: fmt.Sprintf("Burst notification %d", i), Body: "A new ticket is in the provider queue.", Link: "/tickets/1"}
				if i%2 == 0 {
					n.Channel, n.UserID, n.Address = tandem.ChannelEmail, &tech.ID, tech.Email
				} else {
					n.Channel, n.WebhookID = tandem.ChannelWebhook, &hook.ID
				}
				ns[i] = n
			}
			b.StartTimer()
			if err := sqlstore.EnqueueForTest(testserver.SystemContext(), s.Services.DB, ns...); err != nil {
				b.Fatal(err)
			}
			for {
				got, _ := hooks.counts()
				if len(got)+len(smtpd.Messages()) >= delivered+burst {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			delivered += burst
		}
		b.StopTimer()
		checkDeliveredOnce(b, s, smtpd, hooks, delivered)
		b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "deliveries/s")
	})
}

// checkDeliveredOnce fails unless the SMTP server and the webhook receiver
// got every one of the want deliveries exactly once (by Message-ID and by
// Tandem-Delivery), each signature verified, and the outbox records all
// of them sent.
func checkDeliveredOnce(b *testing.B, s *testserver.Server, smtpd *testsmtp.Server, hooks *webhookReceiver, want int) {
	b.Helper()
	time.Sleep(200 * time.Millisecond) // a repeated delivery would arrive meanwhile
	got, bad := hooks.counts()
	if len(bad) > 0 {
		b.Fatalf("%d webhook requests refused, the first: %s", len(bad), bad[0])
	}
	seen := map[string]int{}
	for _, m := range smtpd.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			b.Fatal(err)
		}
		seen[msg.Header.Get("Message-ID")]++
	}
	for id, n := range got {
		seen["webhook "+strconv.FormatInt(id, 10)] = n
	}
	for id, n := range seen {
		if n != 1 {
			b.Fatalf("%s arrived %d times", id, n)
		}
	}
	if len(seen) != want {
		b.Fatalf("%d distinct deliveries arrived, want %d", len(seen), want)
	}
	var sent int
	if err := s.ReadPool().QueryRow(`SELECT COUNT(*) FROM notifications WHERE channel <> 'inapp' AND state = 'sent' AND attempts = 1`).Scan(&sent); err != nil {
		b.Fatal(err)
	}
	if sent != want {
		b.Fatalf("the outbox records %d deliveries sent at the first attempt, want %d", sent, want)
	}
}

// BenchmarkTriggerToWebhook measures the latency from a trigger to the
// webhook's request on loopback with the default settings: each iteration
// opens a ticket through the API (its rules write in-app, email and
// webhook notifications in the ticket's transaction) and waits for the
// provider webhook's receiver to get the new ticket. It reports p50 and
// p99 of the time from sending the API request to the receiver's arrival.
//
//	go test ./app -run '^$' -bench TriggerToWebhook -benchtime 200x
func BenchmarkTriggerToWebhook(b *testing.B) {
	eachDialect(b, func(b *testing.B, newMain func() *app.Main) {
		smtpd := testsmtp.Start(b, false, true)
		s := testserver.StartWith(b, withMail(newMain(), smtpd))
		hooks := newWebhookReceiver(b)
		providerWebhook(b, s, hooks, tandem.NotifyNewTicket)
		org := s.MustCreateOrganization(b, "Bench Client")
		areas := acceptMatrix(b, s, org.ID)
		s.MustCreateUser(b, &tandem.User{Email: "tech@msp.example", Role: tandem.RoleTechnician, Organizations: []int64{org.ID}}, "bench-password-1")
		requester := s.MustCreateUser(b, &tandem.User{Email: "staff@client.example", Role: tandem.RoleRequester, OrganizationID: &org.ID}, "bench-password-1")
		token := s.MustCreateToken(b, requester.ID)
		url := fmt.Sprintf("%s/api/v1/orgs/%d/tickets", s.HTTPServer.URL(), org.ID)
		client := &http.Client{}
		var latencies []time.Duration
		i := 0
		for b.Loop() {
			i++
			body := fmt.Sprintf(`{"title":"Laptop %d will not boot","description":"Black screen.","area_id":%d,"impact":"high","urgency":"high"}`, i, areas[i%len(areas)].ID)
			req, _ := http.NewRequest("POST", url, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Fatalf("status %d", resp.StatusCode)
			}
			var id int64
			select {
			case id = <-hooks.notify:
			case <-time.After(time.Minute):
				b.Fatal("no webhook request within a minute")
			}
			hooks.mu.Lock()
			latencies = append(latencies, hooks.arrived[id].Sub(t0))
			hooks.mu.Unlock()
		}
		b.StopTimer()
		slices.Sort(latencies)
		n := len(latencies)
		b.ReportMetric(float64(latencies[n/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(latencies[n*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(latencies[n-1].Microseconds())/1000, "max-ms")
	})
}
