package sqlstore

import (
	"context"
	"io"

	"github.com/tandemhq/tandem"
)

// DefaultMaxAttachmentBytes bounds one attachment unless configured otherwise.
const DefaultMaxAttachmentBytes = 25 << 20

// AddAttachment implements tandem.TicketService.
func (s *TicketService) AddAttachment(ctx context.Context, id int64, a *tandem.Attachment, r io.Reader) error {
	return errTODO
}

// Attachments implements tandem.TicketService.
func (s *TicketService) Attachments(ctx context.Context, id int64) ([]*tandem.Attachment, error) {
	return nil, errTODO
}

// OpenAttachment implements tandem.TicketService.
func (s *TicketService) OpenAttachment(ctx context.Context, id, attachmentID int64) (*tandem.Attachment, io.ReadCloser, error) {
	return nil, nil, errTODO
}
