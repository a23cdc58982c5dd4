package demo

import (
	"context"

	"github.com/tandemhq/tandem"
)

// loadWebhooks gives the provider a Slack webhook for its NOC and Harbor
// Logistics a Teams one, both turned off: their receivers are made up, so
// every delivery would fail. An admin points one at a real receiver, sends
// a test and turns it on.
func loadWebhooks(ctx context.Context, s Services, orgIDs map[string]int64, byEmail map[string]*tandem.User) error {
	if s.Webhooks == nil {
		return nil
	}
	harbor := orgIDs["harbor-logistics"]
	noc := &tandem.Webhook{Name: "NOC Slack channel", URL: "https://hooks.slack.example/services/T000/B000/noc", Format: tandem.WebhookSlack,
		Kinds: []tandem.NotificationKind{tandem.NotifyMajorTicket, tandem.NotifySLAWarning, tandem.NotifySLABreach, tandem.NotifyEscalation}}
	teams := &tandem.Webhook{OrganizationID: &harbor, Name: "IT Teams channel", URL: "https://harbor.webhook.office.example/workflows/it", Format: tandem.WebhookTeams}
	if err := s.Webhooks.CreateWebhook(as(ctx, byEmail["owner@northwind-msp.example"]), noc); err != nil {
		return err
	}
	return s.Webhooks.CreateWebhook(as(ctx, byEmail["it.manager@harbor.example"]), teams)
}
