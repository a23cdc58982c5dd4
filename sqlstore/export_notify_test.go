package sqlstore

import "github.com/tandemhq/tandem"

// OutboxAfter returns the notifications with an id above after, in id
// order, as stored and whoever they are for: tests check what was written
// for whom, bypassing every scope.
func OutboxAfter(db *DB, after int64) ([]*tandem.Notification, error) {
	rows, err := db.read.Query(db.rebind(`SELECT `+notificationColumns+` FROM notifications n WHERE n.id > ? ORDER BY n.id`), after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*tandem.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, n)
	}
	return list, rows.Err()
}

// NotifyMessage is the message the rules write for a ticket's event of
// visibility v by author: tests check what it may carry to webhooks.
func NotifyMessage(v tandem.Visibility, author tandem.PartyKind) (teams bool, party tandem.PartyKind) {
	f := &ticketFacts{id: 1, orgID: 1, title: "t", priority: 3}
	m := f.message(tandem.NotifyWatchedComment, "new comment", "", v, author)
	return m.teams, m.party
}
