package demo

import (
	"context"
	"encoding/json"

	"github.com/tandemhq/tandem"
)

// The provider's NOC rotation: the two technicians take weekly turns in
// the day, and a nightly layer on top puts them on the evenings in daily
// turns, so the week view shows both hand-overs.
const nocRotation = `{"timezone":"Europe/Berlin","layers":[
	{"name":"weekly","start":"2026-01-05T09:00:00","turn":"1w","members":["tech@northwind-msp.example","noc@northwind-msp.example"]},
	{"name":"evenings","start":"2026-01-05T18:00:00","turn":"1d","members":["noc@northwind-msp.example","tech@northwind-msp.example"],
	 "restrict":{"mon":[["18:00","23:00"]],"tue":[["18:00","23:00"]],"wed":[["18:00","23:00"]],"thu":[["18:00","23:00"]],"fri":[["18:00","23:00"]]}}]}`

// Harbor's internal team covers its own business hours, in alternate weeks.
const harborRotation = `{"timezone":"America/New_York","layers":[
	{"name":"business hours","start":"2026-01-05T08:00:00","turn":"1w","members":["it.manager@harbor.example","it.tech@harbor.example"],
	 "restrict":{"mon":[["08:00","18:00"]],"tue":[["08:00","18:00"]],"wed":[["08:00","18:00"]],"thu":[["08:00","18:00"]],"fri":[["08:00","18:00"]]}}]}`

// loadOnCall creates the demo's on-call schedules and returns their ids
// by name.
func loadOnCall(ctx context.Context, svc tandem.OnCallService, orgs map[string]int64) (map[string]int64, error) {
	ids := map[string]int64{}
	if svc == nil {
		return ids, nil
	}
	harbor := orgs["harbor-logistics"]
	for _, s := range []*tandem.OnCallSchedule{
		{Party: tandem.PartyProvider, Name: "NOC rotation", Definition: json.RawMessage(nocRotation)},
		{Party: tandem.PartyInternal, OrganizationID: &harbor, Name: "Harbor IT", Definition: json.RawMessage(harborRotation)},
	} {
		if err := svc.CreateOnCallSchedule(ctx, s); err != nil {
			return nil, err
		}
		ids[s.Name] = s.ID
	}
	return ids, nil
}
