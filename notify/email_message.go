package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"

	gomail "github.com/wneessen/go-mail"

	"github.com/tandemhq/tandem"
)

// emailView is what the two parts of an email show.
type emailView struct {
	Subject     string
	Paragraphs  [][]string // the body: paragraphs of lines
	Link        string     // absolute
	LinkLabel   string
	AckURL      string // absolute
	Reason      string // why the recipient gets it
	SettingsURL string // absolute; empty when the settings do not govern it
}

// emailReasons say, in the footer, why someone received an email of a
// kind.
var emailReasons = map[tandem.NotificationKind]string{
	tandem.NotifyReply:           "a reply was posted on a ticket you opened",
	tandem.NotifyResolved:        "a ticket you opened was resolved",
	tandem.NotifyPendingCustomer: "a question on a ticket you opened waits for your answer",
	tandem.NotifyNewTicket:       "a new ticket arrived in your team's queue",
	tandem.NotifyHandoff:         "a ticket was handed off to your team",
	tandem.NotifyAssigned:        "a ticket was assigned to you",
	tandem.NotifyWatchedComment:  "you watch this ticket",
	tandem.NotifyMajorTicket:     "your team is consulted or informed on this ticket's service area",
	tandem.NotifySLAWarning:      "you are an admin and an SLA target is close",
	tandem.NotifySLABreach:       "you are an admin and an SLA target was missed",
	tandem.NotifyOLABreach:       "you are an admin and an OLA target of a handoff was missed",
	tandem.NotifyDeliveryFailed:  "you are an admin and a notification could not be delivered",
	tandem.NotifyEscalation:      "you are a target of an escalation policy",
}

func (m *Mailer) message(d *tandem.Delivery) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.from); err != nil {
		return nil, fmt.Errorf("the sender address %q cannot be used: %w", m.from, err)
	}
	if err := msg.To(d.Address); err != nil {
		return nil, fmt.Errorf("the recipient address %q cannot be used: %w", d.Address, err)
	}
	// A subject is one header line (go-mail encodes line breaks too).
	msg.Subject(strings.Join(strings.Fields(d.Subject), " "))
	if d.MessageID != "" {
		msg.SetGenHeader(gomail.HeaderMessageID, d.MessageID)
	}
	if d.ThreadID != "" {
		msg.SetGenHeader(gomail.HeaderInReplyTo, d.ThreadID)
		msg.SetGenHeader(gomail.HeaderReferences, d.ThreadID)
	}
	// RFC 3834: a machine wrote this; out-of-office replies should not
	// answer it.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	text, html, err := renderEmail(d)
	if err != nil {
		return nil, err
	}
	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	return msg, nil
}

// newEmailView is d as its email shows it, links made absolute.
func newEmailView(d *tandem.Delivery) emailView {
	v := emailView{Subject: d.Subject, Link: absoluteURL(d.BaseURL, d.Link), AckURL: absoluteURL(d.BaseURL, d.ActionURL),
		LinkLabel: "Open in Tandem"}
	body := strings.ReplaceAll(strings.TrimSpace(d.Body), "\r\n", "\n")
	for _, p := range strings.Split(body, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			v.Paragraphs = append(v.Paragraphs, strings.Split(p, "\n"))
		}
	}
	if d.TicketID != nil {
		v.LinkLabel = "View ticket #" + strconv.FormatInt(*d.TicketID, 10)
	}
	if d.Kind == tandem.NotifyPasswordReset {
		v.LinkLabel = "Choose a new password"
		v.Reason = "someone asked to reset the password of your Tandem account. If it was not you, ignore this email: your password stays as it is"
		return v
	}
	v.Reason = emailReasons[d.Kind]
	if v.Reason == "" {
		v.Reason = "of your notification settings"
	}
	v.SettingsURL = absoluteURL(d.BaseURL, "/account/notifications")
	return v
}

// renderEmail is d's plain-text and HTML parts.
func renderEmail(d *tandem.Delivery) (text, html string, err error) {
	v := newEmailView(d)
	var tb, hb bytes.Buffer
	if err := emailText.Execute(&tb, v); err != nil {
		return "", "", err
	}
	if err := emailHTML.Execute(&hb, v); err != nil {
		return "", "", err
	}
	return tb.String(), hb.String(), nil
}

var emailText = texttemplate.Must(texttemplate.New("text").Parse(`{{.Subject}}
{{range .Paragraphs}}
{{range .}}{{.}}
{{end}}{{end}}{{if .Link}}
{{.LinkLabel}}: {{.Link}}
{{end}}{{if .AckURL}}
Acknowledge: {{.AckURL}}
{{end}}
--
You receive this email because {{.Reason}}.{{if .SettingsURL}}
Choose what reaches you: {{.SettingsURL}}{{end}}
`))

var emailHTML = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2933;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border:1px solid #dde1e6;border-radius:6px;">
<tr><td style="padding:24px 28px 8px;">
<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;font-weight:600;">{{.Subject}}</h1>
{{range .Paragraphs}}<p style="margin:0 0 14px;font-size:15px;line-height:1.5;">{{range $i, $line := .}}{{if $i}}<br>{{end}}{{$line}}{{end}}</p>
{{end}}</td></tr>
{{if or .Link .AckURL}}<tr><td style="padding:8px 28px 20px;">
{{if .Link}}<a href="{{.Link}}" style="display:inline-block;margin:0 8px 8px 0;padding:10px 18px;background:#1f5fbf;color:#ffffff;text-decoration:none;border-radius:4px;font-size:15px;font-weight:600;">{{.LinkLabel}}</a>{{end}}
{{if .AckURL}}<a href="{{.AckURL}}" style="display:inline-block;margin:0 8px 8px 0;padding:10px 18px;background:#1e7a46;color:#ffffff;text-decoration:none;border-radius:4px;font-size:15px;font-weight:600;">Acknowledge</a>{{end}}
</td></tr>{{end}}
<tr><td style="padding:14px 28px 20px;border-top:1px solid #dde1e6;font-size:12px;line-height:1.5;color:#5f6b7a;">
You receive this email because {{.Reason}}.{{if .SettingsURL}} <a href="{{.SettingsURL}}" style="color:#1f5fbf;">Choose what reaches you</a>.{{end}}
</td></tr>
</table>
</td></tr></table>
</body>
</html>
`))
