package sqlstore

import (
	"context"

	"github.com/tandemhq/tandem"
)

// TicketService implements tandem.TicketService.
type TicketService struct {
	db *DB
	// Blobs keeps attachment bytes (files in the data directory, or the
	// blobs table).
	Blobs tandem.BlobStore
	// MaxAttachmentBytes bounds one attachment; zero means
	// DefaultMaxAttachmentBytes.
	MaxAttachmentBytes int64
}

// NewTicketService returns the service desk on db, keeping attachment bytes in blobs.
func NewTicketService(db *DB, blobs tandem.BlobStore) *TicketService {
	return &TicketService{db: db, Blobs: blobs}
}

var _ tandem.TicketService = (*TicketService)(nil)

var errTODO = tandem.Errorf(tandem.EINTERNAL, "not implemented yet")

// CreateTicket implements tandem.TicketService.
func (s *TicketService) CreateTicket(ctx context.Context, in tandem.TicketInput) (*tandem.Ticket, error) {
	return nil, errTODO
}

// FindTicket implements tandem.TicketService.
func (s *TicketService) FindTicket(ctx context.Context, id int64) (*tandem.Ticket, error) {
	return nil, errTODO
}

// FindTickets implements tandem.TicketService.
func (s *TicketService) FindTickets(ctx context.Context, f tandem.TicketFilter) (*tandem.TicketPage, error) {
	return nil, errTODO
}

// UpdateTicket implements tandem.TicketService.
func (s *TicketService) UpdateTicket(ctx context.Context, id int64, upd tandem.TicketUpdate) (*tandem.Ticket, error) {
	return nil, errTODO
}

// AddComment implements tandem.TicketService.
func (s *TicketService) AddComment(ctx context.Context, id int64, in tandem.CommentInput) (*tandem.Event, error) {
	return nil, errTODO
}

// Timeline implements tandem.TicketService.
func (s *TicketService) Timeline(ctx context.Context, id int64) ([]*tandem.Event, error) {
	return nil, errTODO
}

// RequestHandoff implements tandem.TicketService.
func (s *TicketService) RequestHandoff(ctx context.Context, id int64, reason string) (*tandem.Handoff, error) {
	return nil, errTODO
}

// AnswerHandoff implements tandem.TicketService.
func (s *TicketService) AnswerHandoff(ctx context.Context, id, handoffID int64, accept bool, reason string) (*tandem.Handoff, error) {
	return nil, errTODO
}

// Handoffs implements tandem.TicketService.
func (s *TicketService) Handoffs(ctx context.Context, id int64) ([]*tandem.Handoff, error) {
	return nil, errTODO
}

// AddWatcher implements tandem.TicketService.
func (s *TicketService) AddWatcher(ctx context.Context, id, userID int64) error { return errTODO }

// RemoveWatcher implements tandem.TicketService.
func (s *TicketService) RemoveWatcher(ctx context.Context, id, userID int64) error { return errTODO }

// AddTimeEntry implements tandem.TicketService.
func (s *TicketService) AddTimeEntry(ctx context.Context, id int64, e *tandem.TimeEntry) error {
	return errTODO
}

// TimeEntries implements tandem.TicketService.
func (s *TicketService) TimeEntries(ctx context.Context, id int64) ([]*tandem.TimeEntry, error) {
	return nil, errTODO
}
