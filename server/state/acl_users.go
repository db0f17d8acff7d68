package state

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// Tables of users and login (phase 4). Their snapshot records use the
// numbers of their Raft message range (30-39), ignorable by older servers.
const (
	TableACLUsers         = "acl_users"
	TableACLLoginSessions = "acl_login_sessions"
	TableACLSigningKeys   = "acl_signing_keys"
	TableACLAuthMethods   = "acl_auth_methods"
	TableACLBindingRules  = "acl_binding_rules"

	// indexHash finds a login session by the hash of its current refresh
	// token, indexUsed by one of its used ones, indexUser by its user.
	indexHash   = "hash"
	indexUsed   = "used"
	indexUser   = "user"
	indexMethod = "method"
)

const (
	ACLUserRecord         RecordType = 30 | IgnoreUnknownRecordFlag
	ACLLoginSessionRecord RecordType = 31 | IgnoreUnknownRecordFlag
	ACLSigningKeyRecord   RecordType = 32 | IgnoreUnknownRecordFlag
	ACLAuthMethodRecord   RecordType = 33 | IgnoreUnknownRecordFlag
	ACLBindingRuleRecord  RecordType = 34 | IgnoreUnknownRecordFlag
)

// loginTables adds the user and login tables to the schema.
func loginTables(tables map[string]*memdb.TableSchema) {
	str := func(f string) memdb.Indexer { return &memdb.StringFieldIndex{Field: f} }
	tables[TableACLUsers] = &memdb.TableSchema{Name: TableACLUsers, Indexes: map[string]*memdb.IndexSchema{
		indexID: {Name: indexID, Unique: true, Indexer: str("Name")},
	}}
	tables[TableACLLoginSessions] = &memdb.TableSchema{Name: TableACLLoginSessions, Indexes: map[string]*memdb.IndexSchema{
		indexID:   {Name: indexID, Unique: true, Indexer: str("ID")},
		indexHash: {Name: indexHash, Indexer: str("CurrentHash")},
		indexUsed: {Name: indexUsed, AllowMissing: true, Indexer: &memdb.StringSliceFieldIndex{Field: "UsedHashes"}},
		indexUser: {Name: indexUser, Indexer: str("User")},
	}}
	tables[TableACLSigningKeys] = &memdb.TableSchema{Name: TableACLSigningKeys, Indexes: map[string]*memdb.IndexSchema{
		indexID: {Name: indexID, Unique: true, Indexer: str("KeyID")},
	}}
	tables[TableACLAuthMethods] = &memdb.TableSchema{Name: TableACLAuthMethods, Indexes: map[string]*memdb.IndexSchema{
		indexID: {Name: indexID, Unique: true, Indexer: str("Name")},
	}}
	tables[TableACLBindingRules] = &memdb.TableSchema{Name: TableACLBindingRules, Indexes: map[string]*memdb.IndexSchema{
		indexID:     {Name: indexID, Unique: true, Indexer: str("ID")},
		indexMethod: {Name: indexMethod, Indexer: str("AuthMethod")},
	}}
}

// persistTable is the element type of persistTables.
type persistTable = struct {
	table  string
	rec    RecordType
	newRow func() any
}

// init adds the login tables to snapshots, before the index table (which
// persistTables keeps last).
func init() {
	persistTables = append(persistTables[:len(persistTables)-1:len(persistTables)-1], append([]persistTable{
		{TableACLUsers, ACLUserRecord, func() any { return new(structs.ACLUser) }},
		{TableACLLoginSessions, ACLLoginSessionRecord, func() any { return new(structs.ACLLoginSession) }},
		{TableACLSigningKeys, ACLSigningKeyRecord, func() any { return new(structs.ACLSigningKey) }},
		{TableACLAuthMethods, ACLAuthMethodRecord, func() any { return new(structs.ACLAuthMethod) }},
		{TableACLBindingRules, ACLBindingRuleRecord, func() any { return new(structs.ACLBindingRule) }},
	}, persistTables[len(persistTables)-1])...)
}

// UpsertACLUsers stores copies of users and sessions, and drops sessions
// that expired before now. A user's Generation never goes backwards, and a
// new user starts at the entry's index, so a recreated user of an old name
// never matches a JWT of the old one.
func (tx *WriteTxn) UpsertACLUsers(users []*structs.ACLUser, sessions []*structs.ACLLoginSession, now time.Time) error {
	for _, u := range users {
		if err := tx.upsertACLUser(u); err != nil {
			return err
		}
	}
	for _, s := range sessions {
		if err := tx.upsertLoginSession(s); err != nil {
			return err
		}
	}
	return tx.pruneLoginSessions(now)
}

func (tx *WriteTxn) upsertACLUser(u *structs.ACLUser) error {
	if u == nil {
		return &structs.ValidationError{Problems: []string{"a user in the list is empty"}}
	}
	var v structs.ValidationError
	checkName(&v, "user", u.Name)
	if u.PasswordHash == "" {
		v.Add("", "user %q has no password", u.Name)
	}
	if u.Type != structs.ACLTokenTypeClient && u.Type != structs.ACLTokenTypeManagement {
		v.Add("", "user %q: type %q is unknown (use %q or %q)", u.Name, u.Type,
			structs.ACLTokenTypeClient, structs.ACLTokenTypeManagement)
	}
	if err := v.ErrorOrNil(); err != nil {
		return err
	}
	old, err := row[structs.ACLUser](tx.txn, TableACLUsers, indexID, "ACL user", u.Name)
	if err != nil {
		return err
	}
	c := *u
	c.Roles, c.Policies = copyStrings(u.Roles), copyStrings(u.Policies)
	if u.LockedUntil != nil {
		t := *u.LockedUntil
		c.LockedUntil = &t
	}
	c.CreateIndex, c.Generation = tx.index, tx.index
	if old != nil {
		c.CreateIndex, c.CreateTime = old.CreateIndex, old.CreateTime
		c.Generation = max(u.Generation, old.Generation)
	}
	c.ModifyIndex = tx.index
	if err := tx.txn.Insert(TableACLUsers, &c); err != nil {
		return fmt.Errorf("store ACL user %q: %w", c.Name, err)
	}
	tx.touchTable(TableACLUsers)
	return nil
}

func (tx *WriteTxn) upsertLoginSession(s *structs.ACLLoginSession) error {
	if s == nil || s.ID == "" || s.User == "" || s.CurrentHash == "" {
		return &structs.ValidationError{Problems: []string{"a login session needs an ID, a user and a refresh token hash"}}
	}
	old, err := row[structs.ACLLoginSession](tx.txn, TableACLLoginSessions, indexID, "login session", s.ID)
	if err != nil {
		return err
	}
	c := *s
	c.UsedHashes = copyStrings(s.UsedHashes)
	c.CreateIndex = tx.index
	if old != nil {
		c.CreateIndex = old.CreateIndex
		// A revoked session stays revoked.
		c.Revoked = c.Revoked || old.Revoked
	}
	c.ModifyIndex = tx.index
	if err := tx.txn.Insert(TableACLLoginSessions, &c); err != nil {
		return fmt.Errorf("store login session %q: %w", c.ID, err)
	}
	tx.touchTable(TableACLLoginSessions)
	return nil
}

// pruneLoginSessions drops sessions expired before now. now comes from the
// entry, so every server drops the same ones.
func (tx *WriteTxn) pruneLoginSessions(now time.Time) error {
	if now.IsZero() {
		return nil
	}
	it, err := tx.txn.Get(TableACLLoginSessions, indexID)
	if err != nil {
		return fmt.Errorf("list login sessions: %w", err)
	}
	var expired []*structs.ACLLoginSession
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if s := raw.(*structs.ACLLoginSession); !now.Before(s.ExpirationTime) {
			expired = append(expired, s)
		}
	}
	for _, s := range expired {
		if err := tx.txn.Delete(TableACLLoginSessions, s); err != nil {
			return fmt.Errorf("drop expired login session: %w", err)
		}
		tx.touchTable(TableACLLoginSessions)
	}
	return nil
}

// DeleteACLUsers removes users and their login sessions. An unknown name
// fails the whole transaction, so nothing is deleted.
func (tx *WriteTxn) DeleteACLUsers(names []string) error {
	for _, name := range names {
		if _, err := tx.txn.DeleteAll(TableACLLoginSessions, indexUser, name); err != nil {
			return fmt.Errorf("delete login sessions of %q: %w", name, err)
		}
	}
	tx.touchTable(TableACLLoginSessions)
	return deleteRows[structs.ACLUser](tx, TableACLUsers, "ACL user", names)
}

// ACLUserByName returns a user (with its secrets: callers sanitize), or nil.
func (s *StateStore) ACLUserByName(ws memdb.WatchSet, name string) (*structs.ACLUser, error) {
	return watchRow[structs.ACLUser](s, ws, TableACLUsers, indexID, "ACL user", name)
}

// ACLUsers returns every user, sorted by name.
func (s *StateStore) ACLUsers(ws memdb.WatchSet) ([]*structs.ACLUser, error) {
	return allRows[structs.ACLUser](s, ws, TableACLUsers, indexID)
}

// LoginSessionByID returns a session, or nil.
func (s *StateStore) LoginSessionByID(ws memdb.WatchSet, id string) (*structs.ACLLoginSession, error) {
	return watchRow[structs.ACLLoginSession](s, ws, TableACLLoginSessions, indexID, "login session", id)
}

// LoginSessionByRefreshHash finds the session whose current refresh token
// hashes to hash; used is true when hash is one it already exchanged.
func (s *StateStore) LoginSessionByRefreshHash(hash string) (sess *structs.ACLLoginSession, used bool, err error) {
	if hash == "" {
		return nil, false, nil
	}
	txn := s.db.Txn(false)
	if sess, err = row[structs.ACLLoginSession](txn, TableACLLoginSessions, indexHash, "login session", hash); err != nil || sess != nil {
		return sess, false, err
	}
	sess, err = row[structs.ACLLoginSession](txn, TableACLLoginSessions, indexUsed, "login session", hash)
	return sess, sess != nil, err
}

// UpsertACLSigningKeys stores keys and drops the ones named in del.
func (tx *WriteTxn) UpsertACLSigningKeys(keys []*structs.ACLSigningKey, del []string) error {
	for _, k := range keys {
		if k == nil || k.KeyID == "" || len(k.PublicKey) == 0 {
			return &structs.ValidationError{Problems: []string{"a signing key needs a key ID and a public key"}}
		}
		old, err := row[structs.ACLSigningKey](tx.txn, TableACLSigningKeys, indexID, "signing key", k.KeyID)
		if err != nil {
			return err
		}
		c := *k
		c.CreateIndex = tx.index
		if old != nil {
			c.CreateIndex = old.CreateIndex
		}
		c.ModifyIndex = tx.index
		if err := tx.txn.Insert(TableACLSigningKeys, &c); err != nil {
			return fmt.Errorf("store signing key %q: %w", c.KeyID, err)
		}
		tx.touchTable(TableACLSigningKeys)
	}
	if len(del) == 0 {
		return nil
	}
	return deleteRows[structs.ACLSigningKey](tx, TableACLSigningKeys, "signing key", del)
}

// ACLSigningKeyByID returns a key (with its private part), or nil.
func (s *StateStore) ACLSigningKeyByID(ws memdb.WatchSet, id string) (*structs.ACLSigningKey, error) {
	return watchRow[structs.ACLSigningKey](s, ws, TableACLSigningKeys, indexID, "signing key", id)
}

// ACLSigningKeys returns every key, by key ID.
func (s *StateStore) ACLSigningKeys(ws memdb.WatchSet) ([]*structs.ACLSigningKey, error) {
	return allRows[structs.ACLSigningKey](s, ws, TableACLSigningKeys, indexID)
}

// HasExpiredLoginSession reports whether a session of user expired by now.
func (s *StateStore) HasExpiredLoginSession(user string, now time.Time) (bool, error) {
	it, err := s.db.Txn(false).Get(TableACLLoginSessions, indexUser, user)
	if err != nil {
		return false, fmt.Errorf("list login sessions of %q: %w", user, err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !now.Before(raw.(*structs.ACLLoginSession).ExpirationTime) {
			return true, nil
		}
	}
	return false, nil
}
