package jobspec

import "sort"

// suggestName returns the candidate closest to name when it is close enough
// to be a likely typo ("drvier" → "driver"), or "".
func suggestName(name string, candidates []string) string {
	if len(name) > 64 {
		return "" // not a typo, and comparing would cost time on hostile input
	}
	sort.Strings(candidates) // deterministic choice between equal distances
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	// Very short names are all within two edits of each other.
	if len(name) <= 2 && bestDist > 0 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
