package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// SplitApplyCommand writes the splits of a file.
type SplitApplyCommand struct{ Meta }

func (c *SplitApplyCommand) Synopsis() string { return "Create or replace traffic splits from a file" }

func (c *SplitApplyCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh mesh split apply [options] FILE

  Creates or replaces the traffic split of each service in FILE (HCL, or
  JSON when it ends in .json). A split shares a service's traffic between
  subsets of its instances, chosen by tags or job version, by weight (the
  weights add up to 100); HTTP routes send matching requests to one
  subset. Nothing is written if any split in the file is wrong.

    split "api" {
      namespace = "default"
      subset "v1" { tags = ["v1"]  weight = 90 }
      subset "v2" { job_version = 3  weight = 10 }
      route {
        path_prefix = "/beta"
        headers     = { "x-canary" = "1" }
        subset      = "v2"
        retries     = 2
        timeout     = "3s"
      }
    }

  A split without a namespace is in the -namespace. Needs submit-job there.

` + generalOptions)
}

func (c *SplitApplyCommand) Run(args []string) int {
	fs := c.flagSet("mesh split apply", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	splits, err := parseSplitFile(fs.Arg(0))
	if err != nil {
		return c.errorf("Error reading splits: %v", err)
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	for _, sp := range splits {
		if sp.Namespace == "" {
			sp.Namespace = client.Namespace()
		}
		if sp.Namespace == "" {
			sp.Namespace = structs.DefaultNamespace
		}
		if sp.Namespace == structs.AllNamespacesSentinel {
			return c.errorf("Error: split %q has no namespace and -namespace is '*': set namespace in the file", sp.Service)
		}
		if _, err := client.WithNamespace(sp.Namespace).Splits().Upsert(sp); err != nil {
			return c.errorf("Error applying split of %s/%s: %v", sp.Namespace, sp.Service, err)
		}
		c.Ui.Output(fmt.Sprintf("Applied split of %s/%s: %s", sp.Namespace, sp.Service, subsetSummary(sp)))
	}
	return exitOK
}

func subsetSummary(sp *structs.MeshSplit) string {
	parts := make([]string, 0, len(sp.Subsets))
	for _, s := range sp.Subsets {
		parts = append(parts, fmt.Sprintf("%s=%d%%", s.Name, s.Weight))
	}
	return strings.Join(parts, " ")
}

// SplitListCommand lists the splits.
type SplitListCommand struct{ Meta }

func (c *SplitListCommand) Synopsis() string { return "List traffic splits" }

func (c *SplitListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh mesh split list [options]

  Lists the traffic splits of the namespace; -namespace '*' lists every
  namespace the token may read.

` + generalOptions + jsonOption)
}

func (c *SplitListCommand) Run(args []string) int {
	fs := c.flagSet("mesh split list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	list, _, err := client.Splits().List(nil)
	if err != nil {
		return c.errorf("Error listing splits: %v", err)
	}
	if c.json {
		return c.outputJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("No splits")
		return exitOK
	}
	rows := [][]string{{"Service", "Namespace", "Subsets", "Routes"}}
	for _, sp := range list {
		rows = append(rows, []string{sp.Service, sp.Namespace, subsetSummary(sp), fmt.Sprint(len(sp.Routes))})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

// SplitInfoCommand shows the split of one service.
type SplitInfoCommand struct{ Meta }

func (c *SplitInfoCommand) Synopsis() string { return "Show the traffic split of a service" }

func (c *SplitInfoCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh mesh split info [options] SERVICE

  Shows the traffic split of SERVICE in the namespace: its subsets and
  routes. With -json the output can be applied again.

` + generalOptions + jsonOption)
}

func (c *SplitInfoCommand) Run(args []string) int {
	fs := c.flagSet("mesh split info", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	ns := splitNamespace(client)
	sp, _, err := client.Splits().Info(ns, fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error reading the split of %s/%s: %v", ns, fs.Arg(0), err)
	}
	if c.json {
		return c.outputJSON(sp)
	}
	c.Ui.Output(formatKV("Service", sp.Service, "Namespace", sp.Namespace,
		"Create Index", fmt.Sprint(sp.CreateIndex), "Modify Index", fmt.Sprint(sp.ModifyIndex)))
	rows := [][]string{{"Subset", "Weight", "Tags", "Job Version"}}
	for _, s := range sp.Subsets {
		ver := "-"
		if s.JobVersion != nil {
			ver = fmt.Sprint(*s.JobVersion)
		}
		rows = append(rows, []string{s.Name, fmt.Sprintf("%d%%", s.Weight), orDash(strings.Join(s.Tags, ",")), ver})
	}
	c.Ui.Output("\nSubsets\n" + formatTable(rows))
	if len(sp.Routes) > 0 {
		rows = [][]string{{"Path Prefix", "Headers", "Subset", "Retries", "Timeout"}}
		for _, r := range sp.Routes {
			timeout := "-"
			if r.Timeout > 0 {
				timeout = time.Duration(r.Timeout).String()
			}
			rows = append(rows, []string{orDash(r.PathPrefix), orDash(headerSummary(r.Headers)), r.Subset, fmt.Sprint(r.Retries), timeout})
		}
		c.Ui.Output("\nRoutes\n" + formatTable(rows))
	}
	return exitOK
}

func headerSummary(h map[string]string) string {
	parts := make([]string, 0, len(h))
	for k, v := range h {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// splitNamespace is the client's namespace, "default" when unset.
func splitNamespace(client *api.Client) string {
	if ns := client.Namespace(); ns != "" {
		return ns
	}
	return structs.DefaultNamespace
}

// SplitDeleteCommand deletes the split of one service.
type SplitDeleteCommand struct{ Meta }

func (c *SplitDeleteCommand) Synopsis() string { return "Delete the traffic split of a service" }

func (c *SplitDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh mesh split delete [options] SERVICE

  Deletes the traffic split of SERVICE in the namespace: its traffic goes
  to all its instances again.

` + generalOptions)
}

func (c *SplitDeleteCommand) Run(args []string) int {
	fs := c.flagSet("mesh split delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	ns := splitNamespace(client)
	if ns == structs.AllNamespacesSentinel {
		return c.usageError(c.Help(), "Name one namespace with -namespace, not '*'.")
	}
	if _, err := client.Splits().Delete(ns, fs.Arg(0)); err != nil {
		return c.errorf("Error deleting the split of %s/%s: %v", ns, fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("Deleted the split of %s/%s", ns, fs.Arg(0)))
	return exitOK
}
