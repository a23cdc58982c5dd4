package localcheck

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem/agentproto"
)

// cleanOutput makes a check's output one the server accepts and a list
// can show on one line: valid UTF-8, every control character (newlines
// and tabs from an error message too) a space, at most
// agentproto.MaxOutputLen bytes, cut at a character and marked with "…".
func cleanOutput(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) <= agentproto.MaxOutputLen {
		return s
	}
	const ellipsis = "…"
	cut := agentproto.MaxOutputLen - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// formatPercent writes a configured percentage as people typed it: "90%",
// "92.5%".
func formatPercent(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) + "%" }

func formatMinutes(n int) string {
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

func formatHours(h float64) string {
	if h == 1 {
		return "1 hour"
	}
	return strconv.FormatFloat(h, 'f', -1, 64) + " hours"
}

// formatBytes writes a size in binary units with two or three significant
// digits, as df -h does: "3.1 GiB", "74 GiB", "512 B".
func formatBytes(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, units[i])
	}
	return fmt.Sprintf("%.0f %s", v, units[i])
}

// formatAge writes how old a file is to the minute: "12m", "5h3m", and
// from two days on in days and hours, "3d4h".
func formatAge(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	days, hours, minutes := int(d/(24*time.Hour)), int(d/time.Hour), int(d/time.Minute)%60
	switch {
	case days >= 2:
		return fmt.Sprintf("%dd%dh", days, hours%24)
	case hours > 0:
		return fmt.Sprintf("%dh%dm", hours, minutes)
	}
	return fmt.Sprintf("%dm", minutes)
}
