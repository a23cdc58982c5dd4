package notify

// SMTPURL is c written back as a URL, for the round trip of the fuzz test.
func SMTPURL(c *SMTPConfig) string { return c.url().String() }
