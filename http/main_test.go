package http_test

import (
	"testing"

	"github.com/tandemhq/tandem/internal/browsertest"
)

// TestMain shares one headless Chromium among the browser tests of this
// package; tests that never ask for a tab do not start it.
func TestMain(m *testing.M) { browsertest.Main(m) }
