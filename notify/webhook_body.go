package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// WebhookPayload is the body of a webhook in Tandem's own format
// (tandem.WebhookJSON), documented in docs/WEBHOOKS.md. Its fields only
// ever grow.
type WebhookPayload struct {
	ID             int64                   `json:"id"` // the notification's id, also in Tandem-Delivery
	Kind           tandem.NotificationKind `json:"kind"`
	Subject        string                  `json:"subject"`
	Body           string                  `json:"body"`
	Link           string                  `json:"link,omitempty"`    // absolute URL of the page it is about
	AckURL         string                  `json:"ack_url,omitempty"` // absolute acknowledgement link, when there is one
	TicketID       *int64                  `json:"ticket_id"`
	OrganizationID *int64                  `json:"organization_id"`
	Priority       tandem.Priority         `json:"priority,omitempty"` // 1 (critical) to 5, the ticket's
	CreatedAt      time.Time               `json:"created_at"`
}

// WebhookBody is d in its webhook's format.
func WebhookBody(d *tandem.Delivery) ([]byte, error) {
	format := tandem.WebhookJSON
	if d.Webhook != nil && d.Webhook.Format != "" {
		format = d.Webhook.Format
	}
	switch format {
	case tandem.WebhookJSON:
		return encodeJSON(WebhookPayload{
			ID: d.ID, Kind: d.Kind, Subject: d.Subject, Body: d.Body,
			Link: absoluteURL(d.BaseURL, d.Link), AckURL: absoluteURL(d.BaseURL, d.ActionURL),
			TicketID: d.TicketID, OrganizationID: d.OrganizationID, Priority: d.Priority, CreatedAt: d.CreatedAt.UTC(),
		})
	case tandem.WebhookSlack:
		return encodeJSON(slackMessage(d))
	case tandem.WebhookTeams:
		return encodeJSON(teamsMessage(d))
	}
	return nil, fmt.Errorf("the webhook's format %q is unknown: use json, slack or teams", format)
}

// encodeJSON is v as compact JSON, with <, > and & left as they are
// (receivers read JSON, not HTML).
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// absoluteURL is path made absolute on base; a URL already absolute, or
// an empty path, is returned as it is.
func absoluteURL(base, path string) string {
	if path == "" || strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		return path
	}
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(path, "/")
}

// subjectLine is the subject with the priority in front, as chat shows it.
func subjectLine(d *tandem.Delivery) string {
	if name, ok := tandem.PriorityNames[d.Priority]; ok {
		return fmt.Sprintf("[P%d %s] %s", d.Priority, name, d.Subject)
	}
	return d.Subject
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut:
// chat services refuse messages over their limits.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n -= len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Slack's incoming-webhook message: text is the notification and the
// fallback; blocks show it with link buttons.
type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackElement struct {
	Type  string    `json:"type"`
	Text  slackText `json:"text"`
	URL   string    `json:"url"`
	Style string    `json:"style,omitempty"`
}

type slackBlock struct {
	Type     string         `json:"type"`
	Text     *slackText     `json:"text,omitempty"`
	Elements []slackElement `json:"elements,omitempty"`
}

type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackMessage(d *tandem.Delivery) slackPayload {
	link, ack := absoluteURL(d.BaseURL, d.Link), absoluteURL(d.BaseURL, d.ActionURL)
	subject := slackEscape.Replace(subjectLine(d))
	text := "*" + subject + "*"
	if link != "" {
		text = "*<" + link + "|" + subject + ">*"
	}
	if d.Body != "" {
		text += "\n" + slackEscape.Replace(d.Body)
	}
	p := slackPayload{
		Text:   clip(subject, 3000),
		Blocks: []slackBlock{{Type: "section", Text: &slackText{Type: "mrkdwn", Text: clip(text, 3000)}}},
	}
	var buttons []slackElement
	if link != "" {
		buttons = append(buttons, slackElement{Type: "button", Text: slackText{Type: "plain_text", Text: "Open in Tandem"}, URL: link})
	}
	if ack != "" {
		buttons = append(buttons, slackElement{Type: "button", Text: slackText{Type: "plain_text", Text: "Acknowledge"}, URL: ack, Style: "primary"})
	}
	if len(buttons) > 0 {
		p.Blocks = append(p.Blocks, slackBlock{Type: "actions", Elements: buttons})
	}
	return p
}

// Microsoft Teams: a message with one Adaptive Card attachment, the shape
// the Workflows app's "Send webhook alerts to a channel" flow (which
// replaces the retired Office 365 connectors) posts to a channel.
type teamsPayload struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string        `json:"$schema"`
	Type    string        `json:"type"`
	Version string        `json:"version"`
	Body    []teamsBlock  `json:"body"`
	Actions []teamsAction `json:"actions,omitempty"`
}

type teamsBlock struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Wrap   bool   `json:"wrap"`
	Size   string `json:"size,omitempty"`
	Weight string `json:"weight,omitempty"`
	Color  string `json:"color,omitempty"`
}

type teamsAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Style string `json:"style,omitempty"`
}

func teamsMessage(d *tandem.Delivery) teamsPayload {
	card := teamsCard{
		Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
		Body: []teamsBlock{{Type: "TextBlock", Text: clip(subjectLine(d), 1000), Wrap: true, Size: "Medium", Weight: "Bolder"}},
	}
	if d.Priority == 1 {
		card.Body[0].Color = "Attention"
	}
	if d.Body != "" {
		card.Body = append(card.Body, teamsBlock{Type: "TextBlock", Text: clip(d.Body, 10000), Wrap: true})
	}
	if link := absoluteURL(d.BaseURL, d.Link); link != "" {
		card.Actions = append(card.Actions, teamsAction{Type: "Action.OpenUrl", Title: "Open in Tandem", URL: link})
	}
	if ack := absoluteURL(d.BaseURL, d.ActionURL); ack != "" {
		card.Actions = append(card.Actions, teamsAction{Type: "Action.OpenUrl", Title: "Acknowledge", URL: ack, Style: "positive"})
	}
	return teamsPayload{Type: "message", Attachments: []teamsAttachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
}
