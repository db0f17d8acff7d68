// Package state is the client's local state in BoltDB
// (<data_dir>/state.db): what a restarted agent needs to re-attach to the
// tasks it left running. It holds, per driver plugin, how to reach the
// plugin process again; per allocation, the allocation and the job version
// it runs; per task, the driver's handle and the task's state.
//
// Layout: bucket "drivers" (name → DriverRecord), bucket "allocs" with one
// sub-bucket per allocation ("alloc" → AllocRecord, "task/<name>" →
// TaskRecord). Values are JSON: small, readable with bbolt tools, and the
// types already carry JSON tags.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
	bolt "go.etcd.io/bbolt"
)

// FileName is the state file's name inside the client's data dir.
const FileName = "state.db"

var (
	bucketDrivers = []byte("drivers")
	bucketAllocs  = []byte("allocs")
	keyAlloc      = []byte("alloc")
)

const taskKeyPrefix = "task/"

// DriverRecord is how to reach a running driver plugin process again
// (go-plugin's ReattachConfig, with the address as strings).
type DriverRecord struct {
	Protocol        string `json:"protocol"`
	ProtocolVersion int    `json:"protocol_version"`
	Network         string `json:"network"`
	Addr            string `json:"addr"`
	Pid             int    `json:"pid"`
}

// AllocRecord is an allocation and the job version it runs.
type AllocRecord struct {
	Alloc *structs.Allocation `json:"alloc"`
	Job   *structs.Job        `json:"job"`
}

// TaskRecord is one task's handle (nil when no process runs) and state.
type TaskRecord struct {
	Handle *drivers.TaskHandle `json:"handle,omitempty"`
	State  *structs.TaskState  `json:"state"`
}

// RestoredAlloc is an allocation read back with its tasks.
type RestoredAlloc struct {
	AllocRecord
	Tasks map[string]*TaskRecord
}

// DB is the client's state database. Its methods are safe for concurrent
// use; concurrent writers are batched into one transaction.
type DB struct {
	db *bolt.DB
}

// Open opens (creating it if needed) the state file in dir.
func Open(dir string) (*DB, error) {
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open client state %s: locked by another agent using the same data dir", path)
		}
		return nil, fmt.Errorf("open client state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketDrivers, bucketAllocs} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init client state %s: %w", path, err)
	}
	return &DB{db: db}, nil
}

// Close closes the file.
func (s *DB) Close() error { return s.db.Close() }

// PutDriver records how to reach a driver plugin.
func (s *DB) PutDriver(name string, rec *DriverRecord) error {
	return s.put(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketDrivers), []byte(name), rec)
	}, "driver "+name)
}

// DeleteDriver forgets a driver plugin.
func (s *DB) DeleteDriver(name string) error {
	return s.put(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDrivers).Delete([]byte(name))
	}, "driver "+name)
}

// Driver returns a driver plugin's record, or nil.
func (s *DB) Driver(name string) (*DriverRecord, error) {
	var rec *DriverRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDrivers).Get([]byte(name))
		if v == nil {
			return nil
		}
		rec = &DriverRecord{}
		return json.Unmarshal(v, rec)
	})
	if err != nil {
		return nil, fmt.Errorf("read driver %s state: %w", name, err)
	}
	return rec, nil
}

// PutAlloc records an allocation and its job.
func (s *DB) PutAlloc(rec *AllocRecord) error {
	return s.put(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketAllocs).CreateBucketIfNotExists([]byte(rec.Alloc.ID))
		if err != nil {
			return err
		}
		return putJSON(b, keyAlloc, rec)
	}, "alloc "+rec.Alloc.ID)
}

// PutTask records one task. An allocation that was deleted meanwhile is
// not brought back.
func (s *DB) PutTask(allocID, task string, rec *TaskRecord) error {
	return s.put(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAllocs).Bucket([]byte(allocID))
		if b == nil {
			return nil
		}
		return putJSON(b, []byte(taskKeyPrefix+task), rec)
	}, "task "+allocID+"/"+task)
}

// DeleteAlloc forgets an allocation and its tasks.
func (s *DB) DeleteAlloc(allocID string) error {
	return s.put(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketAllocs).DeleteBucket([]byte(allocID))
		if errors.Is(err, bolt.ErrBucketNotFound) {
			return nil
		}
		return err
	}, "alloc "+allocID)
}

// Allocs reads back every allocation with its tasks. A record that cannot
// be decoded is reported in errs and skipped, so one bad record does not
// keep the others from being restored.
func (s *DB) Allocs() (out []*RestoredAlloc, errs []error) {
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAllocs).ForEachBucket(func(id []byte) error {
			ra, err := readAlloc(tx.Bucket(bucketAllocs).Bucket(id))
			if err != nil {
				errs = append(errs, fmt.Errorf("alloc %s: %w", id, err))
				return nil
			}
			out = append(out, ra)
			return nil
		})
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("read client state: %w", err))
	}
	return out, errs
}

func readAlloc(b *bolt.Bucket) (*RestoredAlloc, error) {
	ra := &RestoredAlloc{Tasks: map[string]*TaskRecord{}}
	v := b.Get(keyAlloc)
	if v == nil {
		return nil, errors.New("no allocation record")
	}
	if err := json.Unmarshal(v, &ra.AllocRecord); err != nil {
		return nil, fmt.Errorf("decode allocation: %w", err)
	}
	if ra.Alloc == nil || ra.Job == nil {
		return nil, errors.New("allocation record without allocation or job")
	}
	err := b.ForEach(func(k, v []byte) error {
		name, ok := strings.CutPrefix(string(k), taskKeyPrefix)
		if !ok || v == nil {
			return nil
		}
		rec := &TaskRecord{}
		if err := json.Unmarshal(v, rec); err != nil {
			return fmt.Errorf("decode task %q: %w", name, err)
		}
		ra.Tasks[name] = rec
		return nil
	})
	return ra, err
}

// put runs fn in a batched write transaction.
func (s *DB) put(fn func(*bolt.Tx) error, what string) error {
	if err := s.db.Batch(fn); err != nil {
		return fmt.Errorf("write client state (%s): %w", what, err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, buf)
}
