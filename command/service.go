package command

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
	"github.com/mitchellh/cli"
)

// serviceCommands are the CLI of the built-in service catalog.
func serviceCommands(meta func() Meta) map[string]cli.CommandFactory {
	return map[string]cli.CommandFactory{
		"service": func() (cli.Command, error) {
			return &groupCommand{namespace{Meta: meta(), name: "service",
				synopsis: "List and inspect services of the built-in catalog (provider = \"appmesh\")"}}, nil
		},
		"service list":   func() (cli.Command, error) { return &ServiceListCommand{Meta: meta()}, nil },
		"service info":   func() (cli.Command, error) { return &ServiceInfoCommand{Meta: meta()}, nil },
		"service delete": func() (cli.Command, error) { return &ServiceDeleteCommand{Meta: meta()}, nil },
	}
}

// ServiceListCommand lists the catalog's services.
type ServiceListCommand struct{ Meta }

func (c *ServiceListCommand) Synopsis() string { return "List services of the built-in catalog" }

func (c *ServiceListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh service list [options]

  Lists the services registered in the built-in catalog (services with
  provider = "appmesh" or "nomad") in the namespace, with their tags and
  how many of their instances pass their checks. -namespace '*' lists
  every namespace the token may read.

` + generalOptions + jsonOption)
}

func (c *ServiceListCommand) Run(args []string) int {
	fs := c.flagSet("service list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	list, _, err := client.Services().List(nil)
	if err != nil {
		return c.errorf("Error listing services: %v", err)
	}
	if c.json {
		return c.outputJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("No services")
		return exitOK
	}
	rows := [][]string{{"Service Name", "Namespace", "Passing", "Tags"}}
	for _, s := range list {
		rows = append(rows, []string{s.ServiceName, s.Namespace, fmt.Sprintf("%d/%d", s.Passing, s.Instances),
			orDash(strings.Join(s.Tags, ","))})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

// ServiceInfoCommand shows the instances of one service.
type ServiceInfoCommand struct{ Meta }

func (c *ServiceInfoCommand) Synopsis() string { return "Show the instances of a service" }

func (c *ServiceInfoCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh service info [options] NAME

  Shows the instances of the service NAME in the built-in catalog: address,
  port, allocation, node, tags and status. Only passing instances unless
  -all.

Service Info Options:

  -all      Also show instances whose checks do not pass.
  -tag TAG  Only instances with this tag.

` + generalOptions + jsonOption)
}

func (c *ServiceInfoCommand) Run(args []string) int {
	fs := c.flagSet("service info", true)
	var sq api.ServiceQuery
	fs.BoolVar(&sq.All, "all", false, "")
	fs.StringVar(&sq.Tag, "tag", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	name := fs.Arg(0)
	inst, _, err := client.Services().Get(name, &sq, nil)
	if err != nil {
		return c.errorf("Error reading service %q: %v", name, err)
	}
	if c.json {
		return c.outputJSON(inst)
	}
	if len(inst) == 0 {
		hint := ""
		if !sq.All {
			hint = " (add -all to see instances whose checks fail)"
		}
		c.Ui.Output(fmt.Sprintf("No passing instances of service %q%s", name, hint))
		return exitOK
	}
	c.Ui.Output(formatTable(instanceRows(inst)))
	return exitOK
}

func instanceRows(inst []*structs.ServiceRegistration) [][]string {
	rows := [][]string{{"ID", "Address", "Job", "Alloc ID", "Node ID", "Tags", "Status"}}
	for _, r := range inst {
		rows = append(rows, []string{r.ID, net.JoinHostPort(r.Address, strconv.Itoa(r.Port)), r.JobID,
			structs.ShortID(r.AllocID), structs.ShortID(r.NodeID), orDash(strings.Join(r.Tags, ",")), r.Status})
	}
	return rows
}

// ServiceDeleteCommand removes one instance from the catalog.
type ServiceDeleteCommand struct{ Meta }

func (c *ServiceDeleteCommand) Synopsis() string { return "Remove one instance of a service" }

func (c *ServiceDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh service delete [options] NAME ID

  Removes the instance ID (see appmesh service info -all) of service NAME
  from the built-in catalog. Instances leave by themselves when their
  allocation stops or their node goes down; this is for clean-up. A client
  whose allocation still runs registers the instance again when its status
  next changes.

` + generalOptions)
}

func (c *ServiceDeleteCommand) Run(args []string) int {
	fs := c.flagSet("service delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 2, 2); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if _, err := client.Services().Delete(fs.Arg(0), fs.Arg(1)); err != nil {
		return c.errorf("Error removing instance %q of service %q: %v", fs.Arg(1), fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("Removed instance %q of service %q", fs.Arg(1), fs.Arg(0)))
	return exitOK
}
