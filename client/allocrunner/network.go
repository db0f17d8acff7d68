package allocrunner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/appmesh/appmesh/client/bridgenet"
	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/structs"
)

// Network sets up and removes bridge-mode allocations' networks
// (client/bridgenet.Manager).
type Network interface {
	Setup(allocID string, req bridgenet.Request) (*bridgenet.AllocNet, error)
	Detach(allocID string)
	Teardown(allocID string) error
}

// errNoBridge is the tasks' failure on a client without bridge networking.
var errNoBridge = errors.New("this client cannot run network mode \"bridge\" (bridge networking is off or unavailable on this node)")

// setupNetwork gives a bridge-mode allocation its namespace and port
// mappings before any task starts; a failure is recorded in ar.network so
// every task fails its start with the reason.
func (ar *AllocRunner) setupNetwork() {
	if ar.network == nil {
		return
	}
	if ar.netMgr == nil {
		ar.network.Err = errNoBridge
		return
	}
	ar.mu.Lock()
	ports := make([]bridgenet.PortMap, 0, len(ar.alloc.AllocatedPorts))
	for _, p := range ar.alloc.AllocatedPorts {
		ports = append(ports, bridgenet.PortMap{Label: p.Label, HostPort: p.Value, TaskPort: p.To})
	}
	ar.mu.Unlock()
	an, err := ar.netMgr.Setup(ar.id, bridgenet.Request{Ports: ports, Hostname: ar.netHostname,
		Sandboxed: ar.netSandboxed, AgentForward: ar.netAgent})
	if err != nil {
		ar.logger.Error("bridge network setup failed", "error", err)
		ar.network.Err = err
		return
	}
	ar.network.NetNSPath, ar.network.UTSPath = an.NetNSPath, an.UTSPath
	if ar.netDNS != nil {
		path := filepath.Join(ar.allocDir.Dir, "resolv.conf")
		if err := os.WriteFile(path, []byte(ar.netDNS.ResolvConf()), 0o644); err != nil {
			ar.network.Err = fmt.Errorf("writing resolv.conf from the dns block: %w", err)
			return
		}
		ar.network.ResolvConf = path
	}
}

// finishNetwork removes the allocation's network once every task is dead;
// on agent shutdown (detach) only the forwarders stop, and the next agent
// re-attaches to the namespace the running tasks are in.
func (ar *AllocRunner) finishNetwork() {
	if ar.network == nil || ar.netMgr == nil {
		return
	}
	select {
	case <-ar.detachCh:
		ar.netMgr.Detach(ar.id)
		return
	default:
	}
	if err := ar.netMgr.Teardown(ar.id); err != nil {
		ar.logger.Warn("bridge network teardown incomplete", "error", err)
	}
}

// newAllocNetwork is the tasks' shared view of a bridge-mode group's
// network; nil for host mode.
func newAllocNetwork(g *structs.TaskGroup) *taskrunner.AllocNetwork {
	if !g.Network.IsBridge() {
		return nil
	}
	return &taskrunner.AllocNetwork{}
}
