// Package tandem holds the domain of co-managed IT: organisations, the two
// parties that run each one, users and their roles, and the service interfaces
// that adapters (sqlstore, http, cmd) implement or consume.
package tandem

import (
	"errors"
	"fmt"
)

// Error codes. Each is mapped once to an HTTP status (http package) and a CLI
// exit status (cmd/tandem); callers test for them with ErrorCode.
const (
	ECONFLICT     = "conflict"          // the change collides with existing data (409)
	EINTERNAL     = "internal"          // a fault of ours; details are logged, never shown (500)
	EINVALID      = "invalid"           // well-formed input that breaks a rule (422)
	EBADREQUEST   = "bad_request"       // malformed input: bad JSON, wrong types, unknown fields (400)
	ENOTFOUND     = "not_found"         // absent, or outside the actor's scope (404)
	EUNAUTHORIZED = "unauthorized"      // no valid credentials (401)
	EFORBIDDEN    = "forbidden"         // valid credentials, insufficient rights (403)
	ETOOLARGE     = "too_large"         // request body above the limit (413)
	ECONFIG       = "config"            // a setting is wrong; the message names it (exit status 2)
	EUNAVAILABLE  = "unavailable"       // a dependency such as the database is unreachable (503)
	ETOOMANY      = "too_many_requests" // too many failed attempts; wait and retry (429, with Retry-After)
)

// Error is an error a user may see: a code from the list above and a message
// written for the person who has to fix it.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("tandem error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Errors that are not
// *Error are internal and their text is replaced so no detail leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
