package tandem_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

func TestCanonicalEmail(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // the canonical form; "" when refused
		msg  string // a part of the refusal's message
	}{
		{"Plain", "grace@harbor.example", "grace@harbor.example", ""},
		{"TrimmedAndLowered", "  Grace.Lin@Harbor.EXAMPLE \n", "grace.lin@harbor.example", ""},
		{"FullWidthBecomesASCII", "ｇｒａｃｅ＠ｈａｒｂｏｒ．ｅｘａｍｐｌｅ", "grace@harbor.example", ""},
		{"LigatureUnfolded", "ﬁona@harbor.example", "fiona@harbor.example", ""},
		{"ComposedAccent", "rene\u0301@harbor.example", "rené@harbor.example", ""},
		{"OneScriptCyrillic", "иван@почта.рф", "иван@почта.рф", ""},
		{"OneScriptGreek", "ΝΙΚΟΣ@harbor.example", "νικοσ@harbor.example", ""},
		{"CyrillicLabelLatinTLD", "ivan@яндекс.com", "ivan@яндекс.com", ""},
		{"JapaneseWithLatin", "tanaka太郎さん@harbor.example", "tanaka太郎さん@harbor.example", ""},
		{"KoreanWithLatin", "kim김@harbor.example", "kim김@harbor.example", ""},
		{"DigitsAndPunctuation", "o'brien+it-2026@harbor.example", "o'brien+it-2026@harbor.example", ""},

		{"Empty", "   ", "", "Email is required."},
		{"NotAnAddress", "grace at harbor", "", "is not a valid address"},
		{"WithDisplayName", "Grace <grace@harbor.example>", "", "is not a valid address"},
		{"TooLong", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".example", "", "at most 254"},
		{"ZeroWidthSpace", "gra\u200Bce@harbor.example", "",
			"The email address contains an invisible character (U+200B ZERO WIDTH SPACE) at position 4; retype it."},
		{"ZeroWidthJoiner", "grace\u200D@harbor.example", "", "(U+200D ZERO WIDTH JOINER) at position 6"},
		{"ByteOrderMark", "\uFEFFgrace@harbor.example", "", "(U+FEFF ZERO WIDTH NO-BREAK SPACE) at position 1"},
		{"RightToLeftOverride", "grace@\u202Eelpmaxe.harbor", "", "invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)"},
		{"LeftToRightEmbedding", "\u202Agrace@harbor.example", "", "(U+202A LEFT-TO-RIGHT EMBEDDING)"},
		{"FirstStrongIsolate", "grace\u2068@harbor.example", "", "(U+2068 FIRST STRONG ISOLATE)"},
		{"PopDirectionalIsolate", "grace@harbor.example\u2069x", "", "(U+2069 POP DIRECTIONAL ISOLATE)"},
		{"SoftHyphen", "gra\u00ADce@harbor.example", "", "(U+00AD SOFT HYPHEN)"},
		{"VariationSelector", "grace\uFE0F@harbor.example", "", "invisible character (U+FE0F VARIATION SELECTOR-16)"},
		{"HangulFiller", "grace\u3164@harbor.example", "", "invisible character (U+3164 HANGUL FILLER)"},
		{"Tab", "gra\tce@harbor.example", "", "contains a control character (U+0009) at position 4"},
		{"Null", "grace\x00@harbor.example", "", "contains a control character (U+0000)"},
		{"NoBreakSpace", "grace\u00A0lin@harbor.example", "", "contains a space (U+00A0 NO-BREAK SPACE) at position 6; remove it."},
		{"PrivateUse", "grace\uE000@harbor.example", "", "unassigned or private-use character (U+E000)"},
		{"Unassigned", "grace\u0378@harbor.example", "", "unassigned or private-use character (U+0378)"},
		{"NotText", "grace\xff@harbor.example", "", "bytes that are not text at position 6"},
		{"LatinWithCyrillic", "p\u0430ypal@harbor.example", "",
			"The part before @ mixes Latin and Cyrillic letters (U+0430 CYRILLIC SMALL LETTER A at position 2), so it can look like another address; use one script."},
		{"LatinWithGreek", "g\u03BFogle@harbor.example", "", "mixes Latin and Greek letters (U+03BF GREEK SMALL LETTER OMICRON at position 2)"},
		{"CyrillicWithLatin", "\u0438van@harbor.example", "", "mixes Cyrillic and Latin letters"},
		{"LatinHanCyrillic", "li李\u0430@harbor.example", "", "mixes Latin and Cyrillic letters"},
		{"HangulWithKana", "김さん@harbor.example", "", "mixes Hangul and Hiragana letters"},
		{"DomainLabelMixed", "grace@p\u0430ypal.example", "",
			`The domain after @ mixes Latin and Cyrillic letters in "pаypal" (U+0430 CYRILLIC SMALL LETTER A at position 8)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tandem.CanonicalEmail(tt.in)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("CanonicalEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("CanonicalEmail(%q) = %q, %v; want EINVALID", tt.in, got, err)
			}
			if msg := tandem.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q, want it to contain %q", msg, tt.msg)
			}
		})
	}
}

// A user is stored with the canonical address, and a refused address stops
// the user as it stops an invitation (which validates its user).
func TestUserValidateEmail(t *testing.T) {
	u := tandem.User{Email: "ＧＲＡＣＥ@Harbor.example", Role: tandem.RoleAdmin}
	if err := u.Validate(); err != nil || u.Email != "grace@harbor.example" {
		t.Fatalf("Validate = %v, email %q; want grace@harbor.example", err, u.Email)
	}
	org := int64(3)
	inv := tandem.Invitation{Email: "p\u0430ypal@harbor.example", Role: tandem.RoleRequester, OrganizationID: &org}
	if err := inv.User().Validate(); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Fatalf("Validate of the invited user = %v, want EINVALID", err)
	}
	// A stored user whose address predates the rules still passes the
	// checks of an update.
	old := tandem.User{Email: "p\u0430ypal@harbor.example", Role: tandem.RoleRequester, OrganizationID: &org}
	if err := old.ValidateProfile(); err != nil {
		t.Fatalf("ValidateProfile of a stored look-alike = %v, want nil", err)
	}
}

// FuzzCanonicalEmail checks what holds of every address the normaliser
// accepts: it is stored as found by a login (NormalizeEmail leaves it be),
// normalising it again changes nothing, and it holds no character that
// cannot be seen, no mix of scripts, and fits the length.
func FuzzCanonicalEmail(f *testing.F) {
	for _, seed := range []string{
		"grace@harbor.example", " Grace.Lin@Harbor.EXAMPLE ", "ｇｒａｃｅ＠ｈａｒｂｏｒ．ｅｘａｍｐｌｅ", "ﬁona@harbor.example",
		"rene\u0301@harbor.example", "иван@почта.рф", "tanaka太郎さん@harbor.example", "p\u0430ypal@harbor.example",
		"gra\u200Bce@harbor.example", "grace@\u202Eelpmaxe", "\"quoted local\"@harbor.example", "a@b", "İstanbul@harbor.example",
		"grace\xff@harbor.example", "ǅemal@harbor.example", "ß@harbor.example", "\u1E9E@harbor.example",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := tandem.CanonicalEmail(in)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("CanonicalEmail(%q) = %v, want EINVALID", in, err)
			}
			return
		}
		if !utf8.ValidString(got) || len(got) > tandem.MaxEmailLength || !strings.Contains(got, "@") {
			t.Fatalf("CanonicalEmail(%q) = %q: not a valid address of at most %d bytes", in, got, tandem.MaxEmailLength)
		}
		if n := tandem.NormalizeEmail(got); n != got {
			t.Fatalf("CanonicalEmail(%q) = %q, which a login looks up as %q", in, got, n)
		}
		again, err := tandem.CanonicalEmail(got)
		if err != nil || again != got {
			t.Fatalf("CanonicalEmail(%q) = %q, but CanonicalEmail(%q) = %q, %v", in, got, got, again, err)
		}
		for i, r := range got {
			if unicode.Is(unicode.Cf, r) || unicode.IsControl(r) || unicode.IsSpace(r) {
				t.Fatalf("CanonicalEmail(%q) = %q holds %U at byte %d", in, got, r, i)
			}
		}
	})
}
