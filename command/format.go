package command

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mitchellh/cli"
)

// formatTable aligns rows (the first one is the header) in columns.
func formatTable(rows [][]string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// formatKV aligns "key = value" pairs; pairs is key, value, key, value...
func formatKV(pairs ...string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(tw, "%s\t= %s\n", pairs[i], pairs[i+1])
	}
	_ = tw.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// formatTime renders a unix-nanosecond timestamp; 0 means never.
func formatTime(ns int64) string {
	if ns == 0 {
		return "-"
	}
	return time.Unix(0, ns).Local().Format(time.RFC3339)
}

// formatAge renders how long ago a unix-nanosecond timestamp was.
func formatAge(ns int64, now time.Time) string {
	if ns == 0 {
		return "-"
	}
	d := now.Sub(time.Unix(0, ns))
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds ago", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm ago", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh ago", int(d.Hours())/24, int(d.Hours())%24)
}

// printJSON prints v indented, the form of every -json output.
func printJSON(ui cli.Ui, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	ui.Output(string(b))
	return nil
}

// sortedKeys returns the keys of m in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
