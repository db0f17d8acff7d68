package structs

import "fmt"

// Affinity is a soft preference for nodes: matching nodes score higher
// (positive weight) or lower (negative weight) but are never excluded.
type Affinity struct {
	Attribute string `json:"attribute,omitempty"`
	Operator  string `json:"operator,omitempty"`
	Value     string `json:"value,omitempty"`
	Weight    int    `json:"weight,omitempty"` // -100..100, 0 means 50
}

// Validate checks the operator and weight.
func (a *Affinity) Validate() error {
	v := &ValidationError{}
	if a.Operator == ConstraintDistinctHosts {
		v.Add("", "operator %q cannot be used in an affinity", a.Operator)
	} else {
		c := &Constraint{Attribute: a.Attribute, Operator: a.Operator, Value: a.Value}
		v.Merge("", c.Validate())
	}
	if a.Weight < -100 || a.Weight > 100 {
		v.Add("", "weight %d is out of range: must be between -100 and 100", a.Weight)
	}
	return v.ErrorOrNil()
}

// Constraint returns the affinity's match condition.
func (a *Affinity) Constraint() *Constraint {
	return &Constraint{Attribute: a.Attribute, Operator: a.Operator, Value: a.Value}
}

func (a *Affinity) String() string {
	return fmt.Sprintf("%s (weight %d)", a.Constraint().String(), a.Weight)
}

// Spread asks the scheduler to spread a group's allocations over the values
// of a node attribute, evenly or by target percentages.
//
//	spread {
//	  attribute = "${meta.rack}"
//	  weight    = 100
//	  target "r1" { percent = 60 }
//	  target "r2" { percent = 40 }
//	}
type Spread struct {
	Attribute string          `json:"attribute"`
	Weight    int             `json:"weight,omitempty"` // 0..100, 0 means 50
	Targets   []*SpreadTarget `json:"targets,omitempty" hcl:"target,block"`
}

// SpreadTarget is the share of allocations wanted for one attribute value.
type SpreadTarget struct {
	Value   string `json:"value" hcl:",label"`
	Percent int    `json:"percent"`
}

// Validate checks the attribute, weight and targets.
func (s *Spread) Validate() error {
	v := &ValidationError{}
	if s.Attribute == "" {
		v.Add("", "attribute is required")
	}
	if s.Weight < 0 || s.Weight > 100 {
		v.Add("", "weight %d is out of range: must be between 0 and 100", s.Weight)
	}
	sum := 0
	seen := map[string]bool{}
	for i, t := range s.Targets {
		if t == nil || t.Value == "" {
			v.Add(fmt.Sprintf("target %d", i+1), "value is required")
			continue
		}
		if seen[t.Value] {
			v.Add(fmt.Sprintf("target %q", t.Value), "defined more than once")
		}
		seen[t.Value] = true
		if t.Percent < 0 || t.Percent > 100 {
			v.Add(fmt.Sprintf("target %q", t.Value), "percent %d is out of range 0-100", t.Percent)
		}
		sum += t.Percent
	}
	if sum > 100 {
		v.Add("", "target percentages add up to %d, more than 100", sum)
	}
	return v.ErrorOrNil()
}

// EffectiveWeight returns the weight with the default applied.
func (s *Spread) EffectiveWeight() int {
	if s.Weight == 0 {
		return 50
	}
	return s.Weight
}

// EffectiveWeight returns the weight with the default applied.
func (a *Affinity) EffectiveWeight() int {
	if a.Weight == 0 {
		return 50
	}
	return a.Weight
}

// validateAffinitiesSpreads adds the problems of a job's or group's
// affinity and spread blocks to v.
func validateAffinitiesSpreads(v *ValidationError, affinities []*Affinity, spreads []*Spread) {
	for i, a := range affinities {
		if a == nil {
			v.Add(fmt.Sprintf("affinity %d", i+1), "affinity is empty")
			continue
		}
		v.Merge(fmt.Sprintf("affinity %d", i+1), a.Validate())
	}
	for i, s := range spreads {
		if s == nil {
			v.Add(fmt.Sprintf("spread %d", i+1), "spread is empty")
			continue
		}
		v.Merge(fmt.Sprintf("spread %d", i+1), s.Validate())
	}
}

// GroupAffinities returns the job's and the group's affinities.
func GroupAffinities(job *Job, tg *TaskGroup) []*Affinity {
	if len(job.Affinities) == 0 {
		return tg.Affinities
	}
	return append(append([]*Affinity(nil), job.Affinities...), tg.Affinities...)
}

// GroupSpreads returns the job's and the group's spreads.
func GroupSpreads(job *Job, tg *TaskGroup) []*Spread {
	if len(job.Spreads) == 0 {
		return tg.Spreads
	}
	return append(append([]*Spread(nil), job.Spreads...), tg.Spreads...)
}

// GroupUpdate returns the group's effective update strategy: its own
// block merged over the job's (MergeUpdate); nil when neither has one.
// The result is the caller's to keep.
func GroupUpdate(job *Job, tg *TaskGroup) *UpdateStrategy {
	return MergeUpdate(job.Update, tg.Update)
}
