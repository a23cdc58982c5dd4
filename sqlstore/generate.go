package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// GenerateOptions says how much synthetic service-desk data Generate writes.
type GenerateOptions struct {
	Organizations int    // client organisations to add (default 20)
	Tickets       int    // tickets spread over them (default 100,000)
	Seed          uint64 // the same seed writes the same data
	// Progress, when set, is called after each batch with the tickets written so far.
	Progress func(done int)
}

// GenerateReport says what Generate wrote.
type GenerateReport struct {
	Organizations []int64
	Users         int
	Tickets       int
	Tags          int
}

// The seed split of the responsibility matrix: these areas route to the
// internal team, the rest to the provider.
var internalAreas = map[string]bool{"end-user-support": true, "hardware-deployment": true, "on-site-troubleshooting": true, "business-systems": true}

var generatedTitles = []string{
	"Outlook keeps asking for my password", "Laptop will not connect to the office Wi-Fi", "New starter needs a laptop and accounts",
	"Printer on the second floor jams", "VPN disconnects every few minutes", "Cannot open the shared finance folder",
	"Phishing email reported by reception", "Backup job failed overnight", "Firewall alert: port scan from abroad",
	"Azure cost spike this month", "Teams calls drop audio", "Windows update stuck at 35%", "MFA prompt never arrives",
	"Line-of-business app crashes on start", "Replace failing disk in file server", "Monitor flickers in meeting room",
	"Request access to the CRM", "Password reset for a locked account", "Plan the server refresh for next year",
	"Certificate expires in 14 days",
}

var generatedTags = []string{"vip", "hardware", "network", "security", "onboarding", "m365", "printer", "backup"}

// Generate writes synthetic organisations, users and tickets for benchmarks
// and load tests, in large batches that bypass the per-ticket service path
// (no timeline events, timers or per-ticket audit entries; one audit entry
// records the run). Organisations are named "Synthetic client NNNN" so they
// are never mistaken for real ones. The actor must be the system.
func (db *DB) Generate(ctx context.Context, opts GenerateOptions) (*GenerateReport, error) {
	a, err := tandem.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.System {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "Only the command line may generate synthetic data.")
	}
	if opts.Organizations == 0 {
		opts.Organizations = 20
	}
	if opts.Tickets == 0 {
		opts.Tickets = 100_000
	}
	if opts.Organizations < 1 || opts.Organizations > 10_000 {
		return nil, tandem.Errorf(tandem.EINVALID, "--organizations must be 1 to 10000, got %d.", opts.Organizations)
	}
	if opts.Tickets < 0 || opts.Tickets > 50_000_000 {
		return nil, tandem.Errorf(tandem.EINVALID, "--tickets must be 0 to 50000000, got %d.", opts.Tickets)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x7a6d))
	rep := &GenerateReport{}
	orgs := NewOrganizationService(db)
	run := db.now().Format("20060102150405")
	type orgData struct {
		id         int64
		areas      []int64
		providerOf map[int64]bool
		requesters []int64
		internal   int64
	}
	var data []orgData
	for i := range opts.Organizations {
		org := &tandem.Organization{Name: fmt.Sprintf("Synthetic client %04d", i+1), Slug: fmt.Sprintf("synthetic-%s-%04d", run, i+1)}
		if err := orgs.CreateOrganization(ctx, org); err != nil {
			return nil, err
		}
		rep.Organizations = append(rep.Organizations, org.ID)
		d := orgData{id: org.ID, providerOf: map[int64]bool{}}
		rtx, err := db.beginRead(ctx)
		if err != nil {
			return nil, err
		}
		areas, err := findServiceAreas(ctx, rtx, org.ID)
		rtx.Rollback()
		if err != nil {
			return nil, err
		}
		for _, ar := range areas {
			d.areas = append(d.areas, ar.ID)
			d.providerOf[ar.ID] = !internalAreas[ar.Key]
		}
		data = append(data, d)
	}

	// Users: per organisation an it-technician and twenty requesters, and
	// five provider technicians assigned to every generated organisation.
	// They cannot log in: their password hash is no hash at all.
	tx, err := db.beginWriteAlone(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { tx.Rollback() }()
	addUser := func(email, name string, role tandem.Role, orgID *int64) (int64, error) {
		rep.Users++
		return tx.insert(ctx, `INSERT INTO users (email, name, role, organization_id, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, '!', ?, ?, ?)`,
			email, name, role, orgID, true, at(tx.now), at(tx.now))
	}
	var providerTechs []int64
	for i := range 5 {
		id, err := addUser(fmt.Sprintf("tech%d.%s@synthetic.invalid", i+1, run), fmt.Sprintf("Synthetic technician %d", i+1), tandem.RoleTechnician, nil)
		if err != nil {
			return nil, err
		}
		providerTechs = append(providerTechs, id)
	}
	for i := range data {
		d := &data[i]
		for _, t := range providerTechs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_organizations (user_id, organization_id) VALUES (?, ?)`, t, d.id); err != nil {
				return nil, err
			}
		}
		if d.internal, err = addUser(fmt.Sprintf("it.%d.%s@synthetic.invalid", d.id, run), "Synthetic IT", tandem.RoleITTechnician, &d.id); err != nil {
			return nil, err
		}
		for j := range 20 {
			id, err := addUser(fmt.Sprintf("user%d.%d.%s@synthetic.invalid", j+1, d.id, run), fmt.Sprintf("Synthetic user %d", j+1), tandem.RoleRequester, &d.id)
			if err != nil {
				return nil, err
			}
			d.requesters = append(d.requesters, id)
		}
	}
	if err := tx.audit(ctx, a, nil, "generate", "synthetic", map[string]any{"organizations": opts.Organizations, "tickets": opts.Tickets, "seed": opts.Seed}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}

	// Tickets, oldest first, spread over the last year.
	const rowsPerInsert, rowsPerTx = 400, 20_000
	matrix := tandem.DefaultPriorityMatrix()
	now := db.now()
	start := now.Add(-365 * 24 * time.Hour)
	step := 365 * 24 * time.Hour / time.Duration(max(opts.Tickets, 1))
	for done := 0; done < opts.Tickets; {
		tx, err := db.beginWriteAlone(ctx)
		if err != nil {
			return nil, err
		}
		// Every path ends it (a no-op after Commit), a panic too: an
		// unended write holds SQLite's writer for ever.
		defer tx.Rollback()
		end := min(done+rowsPerTx, opts.Tickets)
		for done < end {
			n := min(rowsPerInsert, end-done)
			var q strings.Builder
			q.WriteString(`INSERT INTO tickets (organization_id, requester_id, title, description, area_id, impact, urgency, priority, status, owning_party, assignee_id, sla_state, created_by, created_at, updated_at, resolved_at, closed_at) VALUES `)
			args := make([]any, 0, n*17)
			var tagged []int // offsets in this insert that get a tag
			for k := range n {
				d := &data[rng.IntN(len(data))]
				area := d.areas[rng.IntN(len(d.areas))]
				party, assignee := tandem.PartyInternal, d.internal
				if d.providerOf[area] {
					party, assignee = tandem.PartyProvider, providerTechs[rng.IntN(len(providerTechs))]
				}
				impact, urgency := generatedLevel(rng), generatedLevel(rng)
				status, sla := generatedStatus(rng)
				created := start.Add(time.Duration(done+k) * step)
				var assigneeArg, resolved, closed any
				if status != tandem.StatusNew {
					assigneeArg = assignee
				}
				if status.Done() {
					resolved = at(created.Add(time.Duration(1+rng.IntN(72)) * time.Hour))
				}
				if status == tandem.StatusClosed {
					closed = at(created.Add(time.Duration(73+rng.IntN(72)) * time.Hour))
				}
				requester := d.requesters[rng.IntN(len(d.requesters))]
				title := generatedTitles[rng.IntN(len(generatedTitles))]
				if k > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, d.id, requester, title, "Synthetic ticket: "+title+".", area, impact, urgency,
					matrix.Priority(impact, urgency), status, party, assigneeArg, sla, requester, at(created), at(created), resolved, closed)
				if rng.IntN(10) < 3 {
					tagged = append(tagged, k)
				}
			}
			ids, err := tx.queryIDs(ctx, q.String()+" RETURNING id", args...)
			if err != nil {
				tx.Rollback()
				return nil, err
			}
			if len(tagged) > 0 {
				var tq strings.Builder
				tq.WriteString(`INSERT INTO ticket_tags (ticket_id, tag) VALUES `)
				targs := make([]any, 0, 2*len(tagged))
				for i, k := range tagged {
					if i > 0 {
						tq.WriteString(", ")
					}
					tq.WriteString("(?, ?)")
					targs = append(targs, ids[k], generatedTags[rng.IntN(len(generatedTags))])
				}
				if _, err := tx.ExecContext(ctx, tq.String(), targs...); err != nil {
					tx.Rollback()
					return nil, err
				}
				rep.Tags += len(tagged)
			}
			done += n
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
		rep.Tickets = done
		if opts.Progress != nil {
			opts.Progress(done)
		}
	}
	// Every table the load filled, as autovacuum would later: the plans of
	// the lists must not be made for the tables as they were before.
	if err := db.analyze(ctx); err != nil {
		return nil, err
	}
	return rep, nil
}

// generatedLevel draws an impact or urgency: mostly medium and low.
func generatedLevel(rng *rand.Rand) tandem.Level {
	switch n := rng.IntN(10); {
	case n < 2:
		return tandem.LevelHigh
	case n < 6:
		return tandem.LevelMedium
	}
	return tandem.LevelLow
}

// generatedStatus draws a status and a matching SLA state with a desk's
// usual mix: most tickets closed, a working set open.
func generatedStatus(rng *rand.Rand) (tandem.TicketStatus, tandem.SLAState) {
	n := rng.IntN(100)
	switch {
	case n < 5:
		return tandem.StatusNew, tandem.SLAOK
	case n < 20:
		return tandem.StatusOpen, []tandem.SLAState{tandem.SLAOK, tandem.SLAOK, tandem.SLAOK, tandem.SLAWarning, tandem.SLABreached}[rng.IntN(5)]
	case n < 25:
		return tandem.StatusPendingCustomer, tandem.SLAPaused
	case n < 28:
		return tandem.StatusPendingThirdParty, tandem.SLAPaused
	case n < 40:
		return tandem.StatusResolved, doneSLA(rng)
	}
	return tandem.StatusClosed, doneSLA(rng)
}

func doneSLA(rng *rand.Rand) tandem.SLAState {
	if rng.IntN(10) == 0 {
		return tandem.SLABreached
	}
	return tandem.SLAMet
}
