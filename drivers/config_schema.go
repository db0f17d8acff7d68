package drivers

import (
	"fmt"
	"sort"
	"strings"
)

// ConfigSchema describes a driver's task `config` block: the keys it
// accepts and those it requires. `job validate`, `job plan` and `job run`
// check a job against it before anything runs, so that a typo such as
// `comand` is an error with the nearest valid key instead of a task that
// fails on its node.
type ConfigSchema struct {
	Keys     []string `json:"keys"`
	Required []string `json:"required,omitempty"`
}

// Check returns one problem per unknown or missing key, sorted.
func (s *ConfigSchema) Check(driver string, config map[string]any) []string {
	if s == nil {
		return nil
	}
	var problems []string
	for k := range config {
		if contains(s.Keys, k) {
			continue
		}
		msg := fmt.Sprintf("config: unknown key %q for driver %q", k, driver)
		if near := nearestKey(k, s.Keys); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		}
		problems = append(problems, msg+fmt.Sprintf(" (valid keys: %s)", strings.Join(s.Keys, ", ")))
	}
	for _, k := range s.Required {
		if v, ok := config[k]; !ok || v == nil || v == "" {
			problems = append(problems, fmt.Sprintf("config: %s is required for driver %q", k, driver))
		}
	}
	sort.Strings(problems)
	return problems
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// nearestKey is the valid key within a small edit distance of k, if any.
func nearestKey(k string, keys []string) string {
	best, bestD := "", 3
	for _, c := range keys {
		if d := levenshtein(strings.ToLower(k), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
