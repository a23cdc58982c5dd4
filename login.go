package tandem

import (
	"errors"
	"fmt"
	"time"
)

// Login throttling (OWASP ASVS 2.2.1). Failed logins, wrong second factors
// and wrong current passwords count against the account (by email address,
// whether or not it exists) and against the client's address. Once either
// reaches its limit within the window, attempts are refused without checking
// anything, until enough failures have aged out. The per-address limit is
// higher than the per-account one because many people may share an address
// (an office behind one NAT); it stops one address from guessing a few
// passwords for each of many accounts.
//
// Wrong second factors (TOTP or recovery codes) have a tighter limit of their
// own per account: whoever gets that far holds the password, and a 6-digit
// code with three steps accepted is guessed once in about 333,000 tries, so
// 100 tries an hour would be too many. A correct code does not erase the
// hour's wrong ones: the person who typed it need not be the one guessing.
const (
	LoginFailuresPerAccount        = 100
	LoginFailuresPerAddress        = 300
	SecondFactorFailuresPerAccount = 10
	LoginFailureWindow             = time.Hour
)

// ThrottledError refuses an attempt made while its account or address is
// throttled. It unwraps to an *Error with code ETOOMANY, so ErrorCode and
// ErrorMessage work on it as on any other.
type ThrottledError struct {
	Err *Error
	// RetryAfter is how long until an attempt may be accepted again.
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *ThrottledError) Error() string { return e.Err.Error() }

// Unwrap returns the ETOOMANY *Error.
func (e *ThrottledError) Unwrap() error { return e.Err }

// Throttled returns the error of a refused attempt that may be retried after
// retry, rounded up to whole seconds.
func Throttled(retry time.Duration) *ThrottledError {
	return ThrottledBecause("Too many failed attempts for this account or from your address.", retry)
}

// ThrottledBecause is Throttled with the sentence saying what was too
// many, followed by when to try again.
func ThrottledBecause(why string, retry time.Duration) *ThrottledError {
	retry = max((retry + time.Second - 1).Truncate(time.Second), time.Second)
	wait := fmt.Sprintf("%d seconds", int(retry.Seconds()))
	if retry > 90*time.Second {
		wait = fmt.Sprintf("%d minutes", int((retry+time.Minute-1)/time.Minute))
	}
	return &ThrottledError{
		Err:        Errorf(ETOOMANY, "%s Try again in %s.", why, wait),
		RetryAfter: retry,
	}
}

// RetryAfter returns how long the caller of a throttled attempt should wait,
// or zero when err is not a ThrottledError.
func RetryAfter(err error) time.Duration {
	var t *ThrottledError
	if errors.As(err, &t) {
		return t.RetryAfter
	}
	return 0
}
