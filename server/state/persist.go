package state

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-msgpack/v2/codec"
)

// RecordType tags each record of a state snapshot. Values are only ever
// appended, never renumbered: old snapshots must stay readable.
type RecordType uint8

const (
	// EndRecord closes a snapshot, so that a truncated stream is detected.
	EndRecord        RecordType = 0
	JobRecord        RecordType = 1
	JobVersionRecord RecordType = 2
	NodeRecord       RecordType = 3
	EvalRecord       RecordType = 4
	AllocRecord      RecordType = 5
	IndexRecord      RecordType = 6
	// PeriodicLaunchRecord is flagged ignorable: an older server skips it.
	PeriodicLaunchRecord RecordType = 7 | IgnoreUnknownRecordFlag
	// ACL and namespace records (phase 4), ignorable like the periodic
	// launch record: a server older than ACLs enforces none, so it loses
	// nothing it would use by skipping them.
	ACLPolicyRecord    RecordType = 8 | IgnoreUnknownRecordFlag
	ACLTokenRecord     RecordType = 9 | IgnoreUnknownRecordFlag
	ACLRoleRecord      RecordType = 10 | IgnoreUnknownRecordFlag
	ACLBootstrapRecord RecordType = 11 | IgnoreUnknownRecordFlag
	NamespaceRecord    RecordType = 12 | IgnoreUnknownRecordFlag
)

// IgnoreUnknownRecordFlag set on a record type lets an older server skip a
// record it does not know instead of refusing the snapshot.
const IgnoreUnknownRecordFlag RecordType = 128

// snapshotMagic starts every state snapshot, followed by the format version.
var snapshotMagic = []byte("appmesh-state\n")

const snapshotFormat = 1

// snapshotHeader follows the magic; it helps operators inspecting a file.
type snapshotHeader struct {
	LatestIndex uint64 `json:"latest_index"`
}

// persistTables lists what a snapshot holds, in write order, with the
// record type of each table's rows and a new row to decode one into.
var persistTables = []struct {
	table  string
	rec    RecordType
	newRow func() any
}{
	{TableJobs, JobRecord, func() any { return new(structs.Job) }},
	{TableJobVersions, JobVersionRecord, func() any { return new(structs.Job) }},
	{TableNodes, NodeRecord, func() any { return new(structs.Node) }},
	{TableEvals, EvalRecord, func() any { return new(structs.Evaluation) }},
	{TableAllocs, AllocRecord, func() any { return new(structs.Allocation) }},
	{TablePeriodicLaunch, PeriodicLaunchRecord, func() any { return new(structs.PeriodicLaunch) }},
	{TableACLPolicies, ACLPolicyRecord, func() any { return new(structs.ACLPolicy) }},
	{TableACLTokens, ACLTokenRecord, func() any { return new(structs.ACLToken) }},
	{TableACLRoles, ACLRoleRecord, func() any { return new(structs.ACLRole) }},
	{TableACLBootstrap, ACLBootstrapRecord, func() any { return new(aclBootstrapRow) }},
	{TableNamespaces, NamespaceRecord, func() any { return new(structs.Namespace) }},
	{TableIndex, IndexRecord, func() any { return new(IndexEntry) }},
}

// Persist writes the snapshot: a header, then one record (type byte +
// msgpack object) per row of every table, then an end record.
func (s *StateSnapshot) Persist(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64*1024)
	enc := codec.NewEncoder(bw, structs.MsgpackHandle)
	latest, err := s.LatestIndex()
	if err != nil {
		return err
	}
	// bufio.Writer errors are sticky: a failed write here surfaces from the
	// encoder or from the final Flush.
	bw.Write(snapshotMagic)
	bw.WriteByte(snapshotFormat)
	if err := enc.Encode(&snapshotHeader{LatestIndex: latest}); err != nil {
		return fmt.Errorf("write snapshot header: %w", err)
	}
	txn := s.db.Txn(false)
	for _, t := range persistTables {
		it, err := txn.Get(t.table, indexID)
		if err != nil {
			return fmt.Errorf("snapshot table %q: %w", t.table, err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			bw.WriteByte(byte(t.rec))
			if err := enc.Encode(raw); err != nil {
				return fmt.Errorf("snapshot table %q: %w", t.table, err)
			}
		}
	}
	bw.WriteByte(byte(EndRecord))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// Restore builds a new store from a stream written by Persist.
func Restore(r io.Reader, logger hclog.Logger) (*StateStore, error) {
	s, err := NewStateStore(logger)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, 64*1024)
	if err := readSnapshotHeader(br); err != nil {
		return nil, err
	}
	// The decoder reads through br's ByteScanner, so it consumes exactly one
	// object and the type bytes can be read from br in between.
	dec := codec.NewDecoder(br, structs.MsgpackHandle)
	txn := s.db.Txn(true)
	defer txn.Abort()
	for n := 0; ; n++ {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("restore state: snapshot truncated after %d records", n)
		}
		if err != nil {
			return nil, fmt.Errorf("restore state: read record %d: %w", n, err)
		}
		rec := RecordType(b)
		if rec == EndRecord {
			break
		}
		table, obj, err := decodeRecord(dec, rec)
		if err != nil {
			return nil, fmt.Errorf("restore state: record %d: %w", n, err)
		}
		if obj == nil {
			s.logger.Warn("skipped unknown snapshot record", "type", b)
			continue
		}
		if err := txn.Insert(table, obj); err != nil {
			return nil, fmt.Errorf("restore state: record %d into %q: %w", n, table, err)
		}
	}
	if err := rebuildNodeAllocs(txn); err != nil {
		return nil, fmt.Errorf("restore state: %w", err)
	}
	txn.Commit()
	return s, nil
}

func readSnapshotHeader(br *bufio.Reader) error {
	magic := make([]byte, len(snapshotMagic)+1)
	if _, err := io.ReadFull(br, magic); err != nil {
		return fmt.Errorf("restore state: read snapshot header: %w", err)
	}
	if !bytes.Equal(magic[:len(snapshotMagic)], snapshotMagic) {
		return fmt.Errorf("restore state: not an appmesh state snapshot")
	}
	if f := magic[len(snapshotMagic)]; f != snapshotFormat {
		return fmt.Errorf("restore state: snapshot format %d is not supported (this server reads %d)", f, snapshotFormat)
	}
	var h snapshotHeader
	if err := codec.NewDecoder(br, structs.MsgpackHandle).Decode(&h); err != nil {
		return fmt.Errorf("restore state: decode snapshot header: %w", err)
	}
	return nil
}

// decodeRecord decodes one record body. It returns a nil object for an
// unknown record that is flagged as ignorable.
func decodeRecord(dec *codec.Decoder, rec RecordType) (string, any, error) {
	for _, t := range persistTables {
		if t.rec != rec {
			continue
		}
		obj := t.newRow()
		if err := dec.Decode(obj); err != nil {
			return "", nil, fmt.Errorf("decode %s record: %w", t.table, err)
		}
		return t.table, obj, nil
	}
	if rec&IgnoreUnknownRecordFlag == 0 {
		return "", nil, fmt.Errorf("unknown record type %d (snapshot from a newer server?)", rec)
	}
	var skip any
	if err := dec.Decode(&skip); err != nil {
		return "", nil, fmt.Errorf("skip record type %d: %w", rec, err)
	}
	return "", nil, nil
}
