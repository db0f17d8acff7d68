// Package command is the appmesh CLI: one file per subcommand, all talking to
// an agent through package api.
package command

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/appmesh/appmesh/version"
	"github.com/mitchellh/cli"
)

// Run runs the CLI on args (without the program name) and returns the exit
// code: 0 success, 1 error, 2 usage error.
func Run(args []string) int {
	ui := &cli.BasicUi{Reader: os.Stdin, Writer: os.Stdout, ErrorWriter: os.Stderr}
	return run(args, ui, os.Stdout, os.Stderr)
}

// run is Run with the UI and help writers given, for tests.
func run(args []string, ui cli.Ui, helpOut, errOut io.Writer) int {
	commands := Commands(ui)
	// A shell asking for completions passes its own words (autocomplete.go).
	if !completing() {
		if install, uninstall := autocompleteFlag(args); install || uninstall {
			return runAutocompleteInstall(install, uninstall, helpOut, errOut)
		}
		var code int
		var done bool
		if args, code, done = frontArgs(args, commands, errOut); done {
			return code
		}
	}
	c := &cli.CLI{
		Autocomplete: true,
		Name:         "appmesh",
		Version:      version.String(),
		Args:         args,
		Commands:     commands,
		HelpFunc:     cli.BasicHelpFunc("appmesh"),
		HelpWriter:   helpOut,
		ErrorWriter:  errOut,
	}
	code, err := c.Run()
	if err != nil {
		ui.Error(fmt.Sprintf("Error: %v", err))
		return exitError
	}
	if code == 127 {
		// mitchellh/cli's code for an unknown command, which is a usage error.
		return exitUsage
	}
	return code
}

// Commands is the registry of subcommands.
func Commands(ui cli.Ui) map[string]cli.CommandFactory {
	meta := func() Meta { return Meta{Ui: ui} }
	cmds := map[string]cli.CommandFactory{
		"agent": agentCommandFactory(ui),

		"job":          func() (cli.Command, error) { return &JobCommand{Meta: meta()}, nil },
		"job run":      func() (cli.Command, error) { return &JobRunCommand{Meta: meta()}, nil },
		"run":          func() (cli.Command, error) { return &RunCommand{Meta: meta()}, nil },
		"job status":   func() (cli.Command, error) { return &JobStatusCommand{Meta: meta()}, nil },
		"job stop":     func() (cli.Command, error) { return &JobStopCommand{Meta: meta()}, nil },
		"job inspect":  func() (cli.Command, error) { return &JobInspectCommand{Meta: meta()}, nil },
		"job validate": func() (cli.Command, error) { return &JobValidateCommand{Meta: meta()}, nil },
		"job plan":     func() (cli.Command, error) { return &JobPlanCommand{Meta: meta()}, nil },
		"job history":  func() (cli.Command, error) { return &JobHistoryCommand{Meta: meta()}, nil },
		"job revert":   func() (cli.Command, error) { return &JobRevertCommand{Meta: meta()}, nil },
		"job dispatch": func() (cli.Command, error) { return &JobDispatchCommand{Meta: meta()}, nil },
		"job promote":  func() (cli.Command, error) { return &JobPromoteCommand{Meta: meta()}, nil },

		"deployment":         func() (cli.Command, error) { return &DeploymentCommand{Meta: meta()}, nil },
		"deployment list":    func() (cli.Command, error) { return &DeploymentListCommand{Meta: meta()}, nil },
		"deployment status":  func() (cli.Command, error) { return &DeploymentStatusCommand{Meta: meta()}, nil },
		"deployment promote": func() (cli.Command, error) { return &DeploymentPromoteCommand{Meta: meta()}, nil },
		"deployment fail":    func() (cli.Command, error) { return &DeploymentFailCommand{Meta: meta()}, nil },
		"job periodic":       func() (cli.Command, error) { return &JobPeriodicCommand{Meta: meta()}, nil },
		"job scale":          func() (cli.Command, error) { return &JobScaleCommand{Meta: meta()}, nil },
		"job periodic force": func() (cli.Command, error) {
			return &JobPeriodicForceCommand{Meta: meta()}, nil
		},

		"alloc":         func() (cli.Command, error) { return &AllocCommand{Meta: meta()}, nil },
		"alloc status":  func() (cli.Command, error) { return &AllocStatusCommand{Meta: meta()}, nil },
		"alloc logs":    func() (cli.Command, error) { return &AllocLogsCommand{Meta: meta()}, nil },
		"event stream":  func() (cli.Command, error) { return &EventStreamCommand{Meta: meta()}, nil },
		"alloc signal":  func() (cli.Command, error) { return &AllocSignalCommand{Meta: meta()}, nil },
		"alloc restart": func() (cli.Command, error) { return &AllocRestartCommand{Meta: meta()}, nil },
		"alloc stop":    func() (cli.Command, error) { return &AllocStopCommand{Meta: meta()}, nil },
		"alloc exec":    func() (cli.Command, error) { return &AllocExecCommand{Meta: meta()}, nil },

		"node":        func() (cli.Command, error) { return &NodeCommand{Meta: meta()}, nil },
		"node status": func() (cli.Command, error) { return &NodeStatusCommand{Meta: meta()}, nil },
		"node drain":  func() (cli.Command, error) { return &NodeDrainCommand{Meta: meta()}, nil },
		"node purge":  func() (cli.Command, error) { return &NodePurgeCommand{Meta: meta()}, nil },
		"system":      func() (cli.Command, error) { return &SystemCommand{Meta: meta()}, nil },
		"system gc":   func() (cli.Command, error) { return &SystemGCCommand{Meta: meta()}, nil },
		"node eligibility": func() (cli.Command, error) {
			return &NodeEligibilityCommand{Meta: meta()}, nil
		},

		"server":             func() (cli.Command, error) { return &ServerCommand{Meta: meta()}, nil },
		"server members":     func() (cli.Command, error) { return &ServerMembersCommand{Meta: meta()}, nil },
		"server join":        func() (cli.Command, error) { return &ServerJoinCommand{Meta: meta()}, nil },
		"server force-leave": func() (cli.Command, error) { return &ServerForceLeaveCommand{Meta: meta()}, nil },

		"operator":                  func() (cli.Command, error) { return &OperatorCommand{Meta: meta()}, nil },
		"operator raft":             func() (cli.Command, error) { return &OperatorRaftCommand{Meta: meta()}, nil },
		"operator raft list-peers":  func() (cli.Command, error) { return &OperatorRaftListPeersCommand{Meta: meta()}, nil },
		"operator raft remove-peer": func() (cli.Command, error) { return &OperatorRaftRemovePeerCommand{Meta: meta()}, nil },
		"operator snapshot":         func() (cli.Command, error) { return &OperatorSnapshotCommand{Meta: meta()}, nil },
		"operator snapshot save":    func() (cli.Command, error) { return &OperatorSnapshotSaveCommand{Meta: meta()}, nil },
		"operator snapshot restore": func() (cli.Command, error) { return &OperatorSnapshotRestoreCommand{Meta: meta()}, nil },
		"operator gossip":           func() (cli.Command, error) { return &OperatorGossipCommand{Meta: meta()}, nil },
		"operator gossip keyring":   func() (cli.Command, error) { return &OperatorGossipKeyringCommand{Meta: meta()}, nil },

		"tls":             func() (cli.Command, error) { return &TLSCommand{Meta: meta()}, nil },
		"tls ca":          func() (cli.Command, error) { return &TLSCACommand{Meta: meta()}, nil },
		"tls ca create":   func() (cli.Command, error) { return &TLSCACreateCommand{Meta: meta()}, nil },
		"tls cert":        func() (cli.Command, error) { return &TLSCertCommand{Meta: meta()}, nil },
		"tls cert create": func() (cli.Command, error) { return &TLSCertCreateCommand{Meta: meta()}, nil },

		"mesh ca":        func() (cli.Command, error) { return &MeshCACommand{Meta: meta()}, nil },
		"mesh ca get":    func() (cli.Command, error) { return &MeshCAGetCommand{Meta: meta()}, nil },
		"mesh ca rotate": func() (cli.Command, error) { return &MeshCARotateCommand{Meta: meta()}, nil },

		"acl":           func() (cli.Command, error) { return &ACLCommand{Meta: meta()}, nil },
		"acl bootstrap": func() (cli.Command, error) { return &ACLBootstrapCommand{Meta: meta()}, nil },
		"acl policy":    func() (cli.Command, error) { return &ACLPolicyCommand{Meta: meta()}, nil },
		"acl policy apply": func() (cli.Command, error) {
			return &ACLPolicyApplyCommand{Meta: meta()}, nil
		},
		"acl policy list":   func() (cli.Command, error) { return &ACLPolicyListCommand{Meta: meta()}, nil },
		"acl policy info":   func() (cli.Command, error) { return &ACLPolicyInfoCommand{Meta: meta()}, nil },
		"acl policy delete": func() (cli.Command, error) { return &ACLPolicyDeleteCommand{Meta: meta()}, nil },
		"acl token":         func() (cli.Command, error) { return &ACLTokenCommand{Meta: meta()}, nil },
		"acl token create":  func() (cli.Command, error) { return &ACLTokenCreateCommand{Meta: meta()}, nil },
		"acl token list":    func() (cli.Command, error) { return &ACLTokenListCommand{Meta: meta()}, nil },
		"acl token info":    func() (cli.Command, error) { return &ACLTokenInfoCommand{Meta: meta()}, nil },
		"acl token self":    func() (cli.Command, error) { return &ACLTokenSelfCommand{Meta: meta()}, nil },
		"acl token update":  func() (cli.Command, error) { return &ACLTokenUpdateCommand{Meta: meta()}, nil },
		"acl token delete":  func() (cli.Command, error) { return &ACLTokenDeleteCommand{Meta: meta()}, nil },
		"acl role":          func() (cli.Command, error) { return &ACLRoleCommand{Meta: meta()}, nil },
		"acl role create":   func() (cli.Command, error) { return &ACLRoleCreateCommand{Meta: meta()}, nil },
		"acl role list":     func() (cli.Command, error) { return &ACLRoleListCommand{Meta: meta()}, nil },
		"acl role info":     func() (cli.Command, error) { return &ACLRoleInfoCommand{Meta: meta()}, nil },
		"acl role update":   func() (cli.Command, error) { return &ACLRoleUpdateCommand{Meta: meta()}, nil },
		"acl role delete":   func() (cli.Command, error) { return &ACLRoleDeleteCommand{Meta: meta()}, nil },

		"namespace":        func() (cli.Command, error) { return &NamespaceCommand{Meta: meta()}, nil },
		"namespace apply":  func() (cli.Command, error) { return &NamespaceApplyCommand{Meta: meta()}, nil },
		"namespace list":   func() (cli.Command, error) { return &NamespaceListCommand{Meta: meta()}, nil },
		"namespace status": func() (cli.Command, error) { return &NamespaceStatusCommand{Meta: meta(), name: "status"}, nil },
		"namespace info":   func() (cli.Command, error) { return &NamespaceStatusCommand{Meta: meta(), name: "info"}, nil },
		"namespace delete": func() (cli.Command, error) { return &NamespaceDeleteCommand{Meta: meta()}, nil },

		"connect":       func() (cli.Command, error) { return &ConnectCommand{Meta: meta()}, nil },
		"connect proxy": func() (cli.Command, error) { return &ConnectProxyCommand{Meta: meta()}, nil },

		"version": func() (cli.Command, error) { return &VersionCommand{Meta: meta()}, nil },
	}
	for name, f := range loginCommands(meta) { // user.go
		cmds[name] = f
	}
	for name, f := range serviceCommands(meta) { // service.go
		cmds[name] = f
	}
	for name, f := range hostCommands(meta) { // label.go, host_files.go
		cmds[name] = f
	}
	for name, f := range meshPolicyCommands(meta) { // intention.go, mesh_split.go
		cmds[name] = f
	}
	return cmds
}

// namespace is a command that only groups subcommands ("job", "alloc").
// Run without a valid subcommand, it prints the list and exits 2.
type namespace struct {
	Meta
	name     string
	synopsis string
}

func (n *namespace) Synopsis() string { return n.synopsis }

func (n *namespace) Help() string {
	return fmt.Sprintf("Usage: appmesh %s <subcommand> [options] [args]\n\n  %s.", n.name, n.synopsis)
}

func (n *namespace) Run(args []string) int {
	var subs []string
	for name, f := range Commands(n.Ui) {
		rest, ok := strings.CutPrefix(name, n.name+" ")
		if !ok || strings.Contains(rest, " ") {
			continue // not ours, or a nested namespace's subcommand
		}
		cmd, _ := f()
		subs = append(subs, fmt.Sprintf("    %-10s %s", rest, cmd.Synopsis()))
	}
	sort.Strings(subs)
	if len(args) > 0 {
		n.Ui.Error(unknownSubcommand(n.name, args[0], Commands(n.Ui)))
	}
	n.Ui.Error(n.Help() + "\n\nSubcommands:\n" + strings.Join(subs, "\n"))
	return exitUsage
}

// JobCommand groups the job subcommands.
type JobCommand struct{ Meta }

func (c *JobCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "job", synopsis: "Submit, inspect and stop jobs"}
}
func (c *JobCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *JobCommand) Help() string          { return c.ns().Help() }
func (c *JobCommand) Run(args []string) int { return c.ns().Run(args) }

// AllocCommand groups the allocation subcommands.
type AllocCommand struct{ Meta }

func (c *AllocCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "alloc", synopsis: "Inspect allocations and read their logs"}
}
func (c *AllocCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *AllocCommand) Help() string          { return c.ns().Help() }
func (c *AllocCommand) Run(args []string) int { return c.ns().Run(args) }

// NodeCommand groups the node subcommands.
type NodeCommand struct{ Meta }

func (c *NodeCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "node", synopsis: "Inspect client nodes"}
}
func (c *NodeCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *NodeCommand) Help() string          { return c.ns().Help() }
func (c *NodeCommand) Run(args []string) int { return c.ns().Run(args) }
