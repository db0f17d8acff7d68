package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// Table names. They double as keys of the index table and appear in
// snapshots, so they must not be renamed.
const (
	TableJobs        = "jobs"
	TableJobVersions = "job_versions"
	TableAllocs      = "allocs"
	TableEvals       = "evals"
	TableNodes       = "nodes"
	TableIndex       = "index"
	// TablePeriodicLaunch holds the last launch of each periodic job.
	TablePeriodicLaunch = "periodic_launch"

	// ACL and namespace tables (phase 4). Blocking queries on them report
	// these tables' indexes.
	TableACLPolicies = "acl_policies"
	TableACLTokens   = "acl_tokens"
	TableACLRoles    = "acl_roles"
	// TableACLBootstrap holds one row: the index of the last bootstrap.
	TableACLBootstrap = "acl_bootstrap"
	TableNamespaces   = "namespaces"
)

// Index names used by the tables above.
const (
	indexID   = "id"
	indexJob  = "job"
	indexNode = "node"
	indexName = "name"
	// indexSecret finds a token by the hash of its secret.
	indexSecret = "secret"
)

// JobVersionsToKeep bounds the history kept per job; older versions are
// dropped when a new one is stored.
const JobVersionsToKeep = 6

// IndexEntry records the Raft index of the last write to a table.
type IndexEntry struct {
	Key   string `json:"key"`
	Value uint64 `json:"value"`
}

// nsIDIndex indexes an object by namespace and an ID field; the namespace
// comes first so that one namespace's objects are contiguous.
func nsIDIndex(field string) *memdb.CompoundIndex {
	return &memdb.CompoundIndex{Indexes: []memdb.Indexer{
		&memdb.StringFieldIndex{Field: "Namespace"},
		&memdb.StringFieldIndex{Field: field},
	}}
}

func stateSchema() *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		TableJobs: {Name: TableJobs, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: nsIDIndex("ID")},
		}},
		TableJobVersions: {Name: TableJobVersions, Indexes: map[string]*memdb.IndexSchema{
			// The version is encoded big-endian, so a job's versions iterate
			// in ascending order.
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
				&memdb.StringFieldIndex{Field: "Namespace"},
				&memdb.StringFieldIndex{Field: "ID"},
				&memdb.UintFieldIndex{Field: "Version"},
			}}},
			indexJob: {Name: indexJob, Indexer: nsIDIndex("ID")},
		}},
		TableAllocs: {Name: TableAllocs, Indexes: map[string]*memdb.IndexSchema{
			// No index by evaluation: nothing reads allocations that way, and
			// each index costs about 200 bytes per allocation.
			indexID:   {Name: indexID, Unique: true, Indexer: allocIDIndexer{}},
			indexJob:  {Name: indexJob, Indexer: allocJobIndexer{}},
			indexNode: {Name: indexNode, AllowMissing: true, Indexer: allocNodeIndexer{}},
		}},
		TableEvals: {Name: TableEvals, Indexes: map[string]*memdb.IndexSchema{
			indexID:  {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexJob: {Name: indexJob, Indexer: nsIDIndex("JobID")},
		}},
		TableNodes: {Name: TableNodes, Indexes: map[string]*memdb.IndexSchema{
			indexID:   {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexName: {Name: indexName, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
		}},
		TablePeriodicLaunch: {Name: TablePeriodicLaunch, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: nsIDIndex("ID")},
		}},
		TableNodeAllocs: {Name: TableNodeAllocs, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
		}},
		TableNodeUsage: {Name: TableNodeUsage, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
		}},
		TableACLPolicies: {Name: TableACLPolicies, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
		}},
		// memdb does not refuse a duplicate in a unique secondary index (it
		// silently repoints it), so writes check secret and name clashes
		// themselves before inserting.
		TableACLTokens: {Name: TableACLTokens, Indexes: map[string]*memdb.IndexSchema{
			indexID:     {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "AccessorID"}},
			indexSecret: {Name: indexSecret, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "SecretHash"}},
		}},
		TableACLRoles: {Name: TableACLRoles, Indexes: map[string]*memdb.IndexSchema{
			indexID:   {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexName: {Name: indexName, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
		}},
		TableACLBootstrap: {Name: TableACLBootstrap, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		}},
		TableNamespaces: {Name: TableNamespaces, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
		}},
		TableIndex: {Name: TableIndex, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
		}},
	}}
	loginTables(s.Tables)
	serviceTables(s.Tables)
	meshCATables(s.Tables)
	meshPolicyTables(s.Tables)
	return s
}

func newMemDB() (*memdb.MemDB, error) {
	db, err := memdb.NewMemDB(stateSchema())
	if err != nil {
		return nil, fmt.Errorf("create state database: %w", err)
	}
	return db, nil
}
