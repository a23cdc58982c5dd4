package sqlstore

import (
	"context"
	"io"
	"time"

	"github.com/tandemhq/tandem"
)

// SLAService implements tandem.SLAService.
type SLAService struct{ db *DB }

// NewSLAService returns the SLA service on db.
func NewSLAService(db *DB) *SLAService { return &SLAService{db: db} }

var _ tandem.SLAService = (*SLAService)(nil)

// FindCalendars implements tandem.SLAService.
func (s *SLAService) FindCalendars(ctx context.Context, orgID int64) ([]*tandem.BusinessCalendar, error) {
	return nil, errTODO
}

// FindCalendar implements tandem.SLAService.
func (s *SLAService) FindCalendar(ctx context.Context, orgID, id int64) (*tandem.BusinessCalendar, error) {
	return nil, errTODO
}

// CreateCalendar implements tandem.SLAService.
func (s *SLAService) CreateCalendar(ctx context.Context, c *tandem.BusinessCalendar) error {
	return errTODO
}

// UpdateCalendar implements tandem.SLAService.
func (s *SLAService) UpdateCalendar(ctx context.Context, c *tandem.BusinessCalendar) error {
	return errTODO
}

// DeleteCalendar implements tandem.SLAService.
func (s *SLAService) DeleteCalendar(ctx context.Context, orgID, id int64) error { return errTODO }

// ImportHolidays implements tandem.SLAService.
func (s *SLAService) ImportHolidays(ctx context.Context, orgID, id int64, ics io.Reader) (*tandem.BusinessCalendar, []string, error) {
	return nil, nil, errTODO
}

// FindSLAPolicy implements tandem.SLAService.
func (s *SLAService) FindSLAPolicy(ctx context.Context, orgID int64) (*tandem.SLAPolicy, error) {
	return nil, errTODO
}

// UpdateSLAPolicy implements tandem.SLAService.
func (s *SLAService) UpdateSLAPolicy(ctx context.Context, p *tandem.SLAPolicy) error { return errTODO }

// ProcessTimers implements tandem.SLAService.
func (s *SLAService) ProcessTimers(ctx context.Context, now time.Time) (int, error) {
	return 0, errTODO
}
