package tandem

import (
	"fmt"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/runenames"
)

// MaxEmailLength is the longest address a mail server must accept (RFC 5321
// 4.5.3.1.3, a path of 256 octets less its angle brackets).
const MaxEmailLength = 254

// CanonicalEmail checks an email address as it enters Tandem — a new user,
// an invitation, the first admin — and returns the one form it is stored in.
// It is the only place an address is accepted, so every way in refuses the
// same look-alikes:
//
//   - characters nobody can see or type on purpose: invisible formatting
//     characters (zero-width space and joiner, byte order mark, the bidi
//     overrides and isolates U+202A–202E and U+2066–2069, every other Cf and
//     default-ignorable character), control characters, spaces other than
//     the plain one, and
//     unassigned or private-use code points;
//   - letters of scripts that do not belong together, within the part before
//     @ or within one label of the domain: "pаypal" with a Cyrillic а is
//     refused, while one script, or the Han, Kana, Hangul and Bopomofo mixes
//     that Chinese, Japanese and Korean write with Latin, are accepted
//     (UTS #39's highly restrictive level).
//
// The form returned is NFKC — so a full-width "ｊｏｈｎ" or a ligature "ﬁ"
// becomes the letters it stands for — and lower case throughout, the domain
// included, so one person has one account. Addresses already stored are not
// rewritten or re-checked; lookups use NormalizeEmail.
func CanonicalEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", Errorf(EINVALID, "Email is required.")
	}
	if err := checkEmailCharacters(email); err != nil {
		return "", err
	}
	canonical := foldEmail(email)
	// NFKC can turn a character into one refused above (a compatibility
	// space into a space); checked again, so what is stored never holds one.
	if err := checkEmailCharacters(canonical); err != nil {
		return "", err
	}
	at := strings.LastIndexByte(canonical, '@')
	if addr, err := mail.ParseAddress(canonical); err != nil || addr.Address != canonical || at < 0 {
		return "", Errorf(EINVALID, "Email %q is not a valid address; write it as name@example.com.", canonical)
	}
	if len(canonical) > MaxEmailLength {
		return "", Errorf(EINVALID, "Email is %d bytes long; an address has at most %d.", len(canonical), MaxEmailLength)
	}
	if a, b, r, pos := mixedScripts(canonical[:at]); a != "" {
		return "", Errorf(EINVALID, "The part before @ mixes %s and %s letters (%s at position %d), so it can look like another address; use one script.",
			a, b, runeLabel(r), pos)
	}
	offset := at + 1
	for label := range strings.SplitSeq(canonical[at+1:], ".") {
		if a, b, r, pos := mixedScripts(label); a != "" {
			return "", Errorf(EINVALID, "The domain after @ mixes %s and %s letters in %q (%s at position %d), so it can look like another address; use one script in each part of the domain.",
				a, b, label, runeLabel(r), utf8.RuneCountInString(canonical[:offset])+pos)
		}
		offset += len(label) + 1
	}
	return canonical, nil
}

// foldEmail is the form CanonicalEmail stores: NFKC, lower case, NFKC again
// (lower-casing can undo a composition).
func foldEmail(email string) string {
	return norm.NFKC.String(strings.ToLower(norm.NFKC.String(email)))
}

// EmailKeys returns the forms the account of an address typed at login or in
// a search may be stored in: as typed, trimmed and lower case
// (NormalizeEmail: every address stored before CanonicalEmail existed), and
// folded as CanonicalEmail stores it (so "ｆｕｌｌ@example.com", or an é typed
// as e and a combining accent, finds the account stored as
// "full@example.com" or with é). One key when the two agree; the typed form
// first, so where both exist the exact one wins.
func EmailKeys(email string) []string {
	typed := NormalizeEmail(email)
	if folded := foldEmail(typed); folded != typed {
		return []string{typed, folded}
	}
	return []string{typed}
}

// NormalizeEmail trims and lower-cases an address: the form every address
// stored before CanonicalEmail existed is in, and so the key a login or a
// search by address looks up. It deliberately does not apply NFKC: an
// account stored as "ｊohn@example.com" must still be found by typing that,
// and CanonicalEmail's output is already in this form, so new accounts are
// found by typing their address as stored.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// checkEmailCharacters refuses the first character of email that cannot be
// seen or has no agreed meaning, naming it and its position (counted in
// characters from 1) so the person can find it.
func checkEmailCharacters(email string) error {
	pos := 0
	for i, r := range email {
		pos++
		var what, fix string
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(email[i:], "\uFFFD"):
			return Errorf(EINVALID, "The email address holds bytes that are not text at position %d; retype it.", pos)
		case invisible(r):
			what, fix = "an invisible character", "retype it"
		case unicode.IsControl(r):
			what, fix = "a control character", "retype it"
		case r != ' ' && (unicode.IsSpace(r) || unicode.In(r, unicode.Z)):
			// A plain space is the address syntax's to judge (it is
			// allowed in quotes); the others look like it or like nothing.
			what, fix = "a space", "remove it"
		case r != ' ' && !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S):
			what, fix = "an unassigned or private-use character", "retype it"
		default:
			continue
		}
		return Errorf(EINVALID, "The email address contains %s (%s) at position %d; %s.", what, runeLabel(r), pos, fix)
	}
	return nil
}

// invisible reports a character that changes or hides how text displays
// without showing itself: every format character (Cf: zero-width space,
// joiners, BOM, bidi controls, soft hyphen…) and the other default-ignorable
// ones (variation selectors, Hangul fillers, the combining grapheme joiner).
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r)
}

// runeLabel names a character for a message: "U+200B ZERO WIDTH SPACE", or
// its code point alone where Unicode gives it no name.
func runeLabel(r rune) string {
	name := runenames.Name(r)
	if name == "" || strings.HasPrefix(name, "<") {
		return fmt.Sprintf("%U", r)
	}
	return fmt.Sprintf("%U %s", r, name)
}

// scriptNames lists the scripts of package unicode in a fixed order, so the
// same address always gets the same message.
var scriptNames = func() []string {
	names := make([]string, 0, len(unicode.Scripts))
	for name := range unicode.Scripts {
		if name != "Common" && name != "Inherited" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}()

// scriptOf returns the script of a letter, or "" for characters every
// script shares (digits, punctuation, combining marks).
func scriptOf(r rune) string {
	switch {
	case r < utf8.RuneSelf:
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return "Latin"
		}
		return ""
	case unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r):
		return ""
	}
	for _, name := range scriptNames {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	return ""
}

// scriptMixes are the sets of scripts that are written together (UTS #39
// 5.2, highly restrictive); any other mix of two scripts is refused.
var scriptMixes = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// mixedScripts returns the first two scripts of s that do not belong
// together, with the first letter of the second and its position in s
// (counted in characters from 1); a is "" when s is fine.
func mixedScripts(s string) (a, b string, r rune, pos int) {
	var seen []string
	var firsts []rune
	var positions []int
	n := 0
	for _, c := range s {
		n++
		if sc := scriptOf(c); sc != "" && !slices.Contains(seen, sc) {
			seen, firsts, positions = append(seen, sc), append(firsts, c), append(positions, n)
		}
	}
	if len(seen) < 2 {
		return "", "", 0, 0
	}
	for _, mix := range scriptMixes {
		if !slices.ContainsFunc(seen, func(sc string) bool { return !slices.Contains(mix, sc) }) {
			return "", "", 0, 0
		}
	}
	// Name the first pair no mix allows: Latin with Han is fine, so for
	// "Latin Han Cyrillic" the pair named is Latin and Cyrillic.
	for j := 1; j < len(seen); j++ {
		for i := range j {
			if !allowedTogether(seen[i], seen[j]) {
				return seen[i], seen[j], firsts[j], positions[j]
			}
		}
	}
	// Unreachable with the mixes above (their third scripts never pair),
	// kept so a new mix cannot make an unnamed refusal.
	last := len(seen) - 1
	return seen[0], seen[last], firsts[last], positions[last]
}

func allowedTogether(a, b string) bool {
	for _, mix := range scriptMixes {
		if slices.Contains(mix, a) && slices.Contains(mix, b) {
			return true
		}
	}
	return false
}
