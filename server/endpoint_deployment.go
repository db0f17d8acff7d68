package server

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	memdb "github.com/hashicorp/go-memdb"
)

// Deployment serves the rollouts of job versions in Nomad's deployment
// shape. A deployment is not stored: it is built from a job version and
// its allocations (structs/deployment.go), so `rollout` and `deployment`
// are two names for one mechanism.
type Deployment struct{ srv *Server }

// List lists the deployments of the jobs in the request's namespace(s).
func (d *Deployment) List(args *structs.DeploymentListRequest, reply *structs.DeploymentListResponse) error {
	if done, err := d.srv.forward(structs.DeploymentListRPC, args.AllowStale, args, reply); done {
		return err
	}
	inScope, err := d.srv.listFilter(&args.QueryOptions, acl.CapabilityReadJob)
	if err != nil {
		return err
	}
	return d.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		deps, err := deploymentsWhere(ws, st, func(job *structs.Job) bool {
			return inScope(job.Namespace) && (args.JobID == "" || job.ID == args.JobID)
		})
		if err != nil {
			return 0, err
		}
		reply.Deployments = make([]*structs.Deployment, 0, len(deps))
		for _, dep := range deps {
			if args.Prefix == "" || hasPrefix(dep.ID, args.Prefix) {
				reply.Deployments = append(reply.Deployments, dep)
			}
		}
		return maxTableIndex(st, "jobs", "job_versions", "allocs")
	})
}

// GetDeployment returns one deployment of the request's namespace, named
// by its ID or a unique prefix of it.
func (d *Deployment) GetDeployment(args *structs.DeploymentSpecificRequest, reply *structs.SingleDeploymentResponse) error {
	if done, err := d.srv.forward(structs.DeploymentGetRPC, args.AllowStale, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	return d.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		dep, err := findDeployment(ws, st, ns, args.DeploymentID)
		if err != nil {
			return 0, err
		}
		reply.Deployment = dep
		return maxTableIndex(st, "jobs", "job_versions", "allocs")
	})
}

// deploymentsWhere builds the deployments of every stored version of the
// jobs that keep says to, newest version first within a job.
func deploymentsWhere(ws memdb.WatchSet, st *state.StateStore, keep func(*structs.Job) bool) ([]*structs.Deployment, error) {
	jobs, err := st.Jobs(ws)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	var out []*structs.Deployment
	for _, job := range jobs {
		if job.Type != structs.JobTypeService || !keep(job) {
			continue
		}
		versions, err := st.JobVersionsByID(ws, job.Namespace, job.ID)
		if err != nil {
			return nil, fmt.Errorf("read versions of job %q: %w", job.ID, err)
		}
		allocs, err := st.AllocsByJob(ws, job.Namespace, job.ID)
		if err != nil {
			return nil, fmt.Errorf("read allocations of job %q: %w", job.ID, err)
		}
		slices.SortFunc(versions, func(a, b *structs.Job) int { return cmp.Compare(b.Version, a.Version) })
		for _, v := range versions {
			if structs.HasDeployment(v) {
				out = append(out, structs.DeploymentOf(v, job, allocs))
			}
		}
	}
	return out, nil
}

// findDeployment finds a deployment of namespace ns by ID or unique
// prefix. IDs are derived from the job version, so only the match's
// allocations are read.
func findDeployment(ws memdb.WatchSet, st *state.StateStore, ns, id string) (*structs.Deployment, error) {
	if id == "" {
		return nil, fmt.Errorf("invalid: deployment ID is required")
	}
	jobs, err := st.Jobs(ws)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	type match struct{ version, current *structs.Job }
	var found []match
	for _, job := range jobs {
		if job.Type != structs.JobTypeService || namespaceOf(job.Namespace) != ns {
			continue
		}
		versions, err := st.JobVersionsByID(ws, job.Namespace, job.ID)
		if err != nil {
			return nil, fmt.Errorf("read versions of job %q: %w", job.ID, err)
		}
		for _, v := range versions {
			if !structs.HasDeployment(v) {
				continue
			}
			depID := structs.DeploymentID(v.Namespace, v.ID, v.CreateIndex, v.Version)
			if depID == id {
				found = []match{{v, job}}
				break
			}
			if strings.HasPrefix(depID, id) {
				found = append(found, match{v, job})
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("deployment %q in namespace %q: %w (see `appmesh deployment list`)", id, ns, structs.ErrNotFound)
	case 1:
		m := found[0]
		allocs, err := st.AllocsByJob(ws, m.current.Namespace, m.current.ID)
		if err != nil {
			return nil, fmt.Errorf("read allocations of job %q: %w", m.current.ID, err)
		}
		return structs.DeploymentOf(m.version, m.current, allocs), nil
	}
	return nil, fmt.Errorf("invalid: deployment ID prefix %q matches %d deployments; give more of the ID", id, len(found))
}
