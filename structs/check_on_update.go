package structs

// Values of a check's on_update.
const (
	CheckOnUpdateRequireHealthy = "require_healthy"
	CheckOnUpdateIgnoreWarnings = "ignore_warnings"
	CheckOnUpdateIgnore         = "ignore"
)

// CountsForDeployment reports whether the check's result judges the
// allocation's health in rolling updates, canaries and drains: every
// check but one with on_update = "ignore". appmesh's checks pass or fail,
// with no warning state, so ignore_warnings judges like require_healthy.
func (c *Check) CountsForDeployment() bool {
	return c == nil || c.OnUpdate != CheckOnUpdateIgnore
}

// DeploymentChecks counts the group's task checks that judge deployment
// health.
func DeploymentChecks(group *TaskGroup) int {
	n := 0
	for _, t := range group.Tasks {
		for _, c := range t.Checks {
			if c.CountsForDeployment() {
				n++
			}
		}
	}
	return n
}

// DeploymentHealth is AllocHealth with the checks of on_update = "ignore"
// left out: their results still restart tasks (check_restart) and show in
// the task state, but do not hold back or fail an update.
func DeploymentHealth(group *TaskGroup, states map[string]*TaskState) *bool {
	filtered := make(map[string]*TaskState, len(states))
	for name, s := range states {
		t := group.LookupTask(name)
		if s == nil || len(s.Checks) == 0 || t == nil {
			filtered[name] = s
			continue
		}
		kept := make([]*CheckStatus, 0, len(s.Checks))
		for i, c := range s.Checks {
			// Statuses are in the order of the task's checks.
			if i < len(t.Checks) && !t.Checks[i].CountsForDeployment() {
				continue
			}
			kept = append(kept, c)
		}
		c := *s
		c.Checks, c.Health = kept, aggregateChecks(kept)
		filtered[name] = &c
	}
	return AllocHealth(filtered)
}

// aggregateChecks is a task's health from some of its checks: unhealthy
// when any fails, "" while one has no result, healthy when all pass.
func aggregateChecks(checks []*CheckStatus) string {
	health := HealthHealthy
	for _, c := range checks {
		switch c.Status {
		case HealthUnhealthy:
			return HealthUnhealthy
		case "":
			health = ""
		}
	}
	if len(checks) == 0 {
		return ""
	}
	return health
}
