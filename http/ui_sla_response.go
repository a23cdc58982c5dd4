package http

import (
	"strings"

	"github.com/tandemhq/tandem"
)

// The "Counts as a response" fieldset of the SLA settings page: one
// checkbox per action a policy may mark (tandem.MarkableActions).

// responseRuleShown is a hidden field of the fieldset: a submitted policy
// form carries it, so a box missing from the submission was unchecked,
// not absent.
const responseRuleShown = "response_rule"

// slaCheck is one checkbox of the fieldset.
type slaCheck struct {
	Name, Label string
	Checked     bool
}

// responseActionField names the checkbox of an action.
func responseActionField(act tandem.StaffAction) string { return "response_action_" + string(act) }

// responseRuleForm writes the policy's marked actions into the form fields
// f ("on" when marked).
func responseRuleForm(f map[string]string, p *tandem.SLAPolicy) {
	for _, act := range p.ResponseActions {
		f[responseActionField(act)] = "on"
	}
}

// responseRuleView returns the checkboxes from the fields f (stored, then
// submitted), where a submitted policy form (form) decides alone.
func responseRuleView(f, form map[string]string) []slaCheck {
	if _, submitted := form[responseRuleShown]; submitted {
		f = form
	}
	checks := make([]slaCheck, len(tandem.MarkableActions))
	for i, act := range tandem.MarkableActions {
		label := act.Describe()
		checks[i] = slaCheck{Name: responseActionField(act), Label: strings.ToUpper(label[:1]) + label[1:], Checked: f[responseActionField(act)] != ""}
	}
	return checks
}

// responseActionsFromForm reads the checked boxes of a submitted policy
// form.
func responseActionsFromForm(form map[string]string) []tandem.StaffAction {
	acts := []tandem.StaffAction{}
	for _, act := range tandem.MarkableActions {
		if form[responseActionField(act)] != "" {
			acts = append(acts, act)
		}
	}
	return acts
}
