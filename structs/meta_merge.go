package structs

// MergedMeta is the meta a task sees: the job's, overridden by its
// group's, overridden by its own. A dispatched child carries the
// dispatch's -meta in the job's meta. Nil when there is none.
func MergedMeta(job *Job, g *TaskGroup, t *Task) map[string]string {
	var out map[string]string
	add := func(m map[string]string) {
		for k, v := range m {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	if job != nil {
		add(job.Meta)
	}
	if g != nil {
		add(g.Meta)
	}
	if t != nil {
		add(t.Meta)
	}
	return out
}
