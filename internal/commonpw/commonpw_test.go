package commonpw_test

import (
	"testing"

	"github.com/tandemhq/tandem/internal/commonpw"
)

func TestIsCommon(t *testing.T) {
	if n := commonpw.Len(); n < 10000 {
		t.Fatalf("list holds %d passwords, want at least 10,000", n)
	}
	tests := []struct {
		pw   string
		want bool
	}{
		{"password", true},
		{"Password", true}, // case is ignored
		{"12345678", true},
		{"qwertyuiop", true},
		{"iloveyou", true},
		{"correct horse battery staple", false},
		{"tandem-demo-2026", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := commonpw.IsCommon(tt.pw); got != tt.want {
			t.Errorf("IsCommon(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

func BenchmarkIsCommon(b *testing.B) {
	commonpw.IsCommon("warm up")
	for b.Loop() {
		commonpw.IsCommon("correct horse battery staple")
	}
}
